#compdef idmd
# zsh completion for idmd, the idm download daemon.
# Use: save as _idmd in a folder on $fpath, or
# eval "$(python3 -m idmd.completions zsh idmd)" in ~/.zshrc after compinit.

_idmd() {
    local curcontext=$curcontext state line ret=1
    _arguments -C \
        '--port=[TCP port of the RPC WebSocket (0: any free port)]:port:' \
        '--host=[address to listen on]:address:(127.0.0.1 ::1 localhost)' \
        '--download-dir=[where downloads go]:folder:_directories' \
        '--log-level=[how much to log]:level:(debug info warning error)' \
        '--fleet=[join the fleet on this NATS server]:url:' \
        '--print-config[print the effective config and exit]' \
        '--detach[run in the background]' \
        '(- *)--version[show the version]' \
        '(- *)'{-h,--help}'[show help]' \
        '1:command:((service\:"install, remove or show the user service"))' \
        '*::argument:->argument' && ret=0
    if [[ $state == argument && $line[1] == service ]]; then
        _arguments \
            '--dry-run[say what would be done, do nothing]' \
            '1:action:((install\:"write, enable and start the user service" uninstall\:"stop and remove it" status\:"show whether it is installed and running"))' \
            && ret=0
    fi
    return ret
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _idmd "$@"
else
    compdef _idmd idmd
fi
