# fish completion for idmd, the idm download daemon.
# Use: save as ~/.config/fish/completions/idmd.fish, or
# python3 -m idmd.completions fish idmd | source

complete -c idmd -f
complete -c idmd -n "not __fish_seen_subcommand_from service" -l port -x -d "TCP port of the RPC WebSocket (0: any free port)"
complete -c idmd -n "not __fish_seen_subcommand_from service" -l host -x -a "127.0.0.1 ::1 localhost" -d "address to listen on"
complete -c idmd -n "not __fish_seen_subcommand_from service" -l download-dir -x -a "(__fish_complete_directories)" -d "where downloads go"
complete -c idmd -n "not __fish_seen_subcommand_from service" -l log-level -x -a "debug info warning error" -d "how much to log"
complete -c idmd -n "not __fish_seen_subcommand_from service" -l fleet -x -d "join the fleet on this NATS server"
complete -c idmd -n "not __fish_seen_subcommand_from service" -l print-config -d "print the effective config and exit"
complete -c idmd -n "not __fish_seen_subcommand_from service" -l detach -d "run in the background"
complete -c idmd -n "not __fish_seen_subcommand_from service" -l version -d "show the version"
complete -c idmd -s h -l help -d "show help"
complete -c idmd -n "not __fish_seen_subcommand_from service" -a service -d "install, remove or show the user service"
complete -c idmd -n "__fish_seen_subcommand_from service; and not __fish_seen_subcommand_from install uninstall status" -a install -d "write, enable and start the user service"
complete -c idmd -n "__fish_seen_subcommand_from service; and not __fish_seen_subcommand_from install uninstall status" -a uninstall -d "stop and remove it"
complete -c idmd -n "__fish_seen_subcommand_from service; and not __fish_seen_subcommand_from install uninstall status" -a status -d "show whether it is installed and running"
complete -c idmd -n "__fish_seen_subcommand_from service" -l dry-run -d "say what would be done, do nothing"
