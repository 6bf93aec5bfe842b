# fish completion for idm, the idm download manager's command line.
# Use: save as ~/.config/fish/completions/idm.fish, or
# python3 -m idmd.completions fish idm | source

set -l commands add ls info pause resume cancel retry rm probe watch pair resolve token
set -l events job.added job.updated job.status job.progress job.duplicate job.removed job.log stats pairing.requested pairing.approved config.changed
complete -c idm -f
complete -c idm -n "not __fish_seen_subcommand_from $commands" -l url -x -d "the daemon WebSocket URL"
complete -c idm -n "not __fish_seen_subcommand_from $commands" -l token -x -d "the daemon token"
complete -c idm -n "not __fish_seen_subcommand_from $commands" -l version -d "show the version"
complete -c idm -s h -l help -d "show help"

complete -c idm -n "not __fish_seen_subcommand_from $commands" -a add -d "download URLs"
complete -c idm -n "not __fish_seen_subcommand_from $commands" -a ls -d "list downloads"
complete -c idm -n "not __fish_seen_subcommand_from $commands" -a info -d "one download in detail"
complete -c idm -n "not __fish_seen_subcommand_from $commands" -a pause -d "pause downloads"
complete -c idm -n "not __fish_seen_subcommand_from $commands" -a resume -d "resume downloads"
complete -c idm -n "not __fish_seen_subcommand_from $commands" -a cancel -d "cancel downloads"
complete -c idm -n "not __fish_seen_subcommand_from $commands" -a retry -d "retry failed or cancelled downloads"
complete -c idm -n "not __fish_seen_subcommand_from $commands" -a rm -d "remove downloads from the list"
complete -c idm -n "not __fish_seen_subcommand_from $commands" -a probe -d "what a URL is, without downloading"
complete -c idm -n "not __fish_seen_subcommand_from $commands" -a watch -d "print events as they happen"
complete -c idm -n "not __fish_seen_subcommand_from $commands" -a pair -d "approve, deny, list or revoke browser pairings"
complete -c idm -n "not __fish_seen_subcommand_from $commands" -a resolve -d "answer a download that waits because its file exists"
complete -c idm -n "not __fish_seen_subcommand_from $commands" -a token -d "print the token"

complete -c idm -n "__fish_seen_subcommand_from add" -s q -l quality -x -a "best 2160p 1440p 1080p 720p 480p 360p audio" -d "media quality"
complete -c idm -n "__fish_seen_subcommand_from add" -l format -x -d "a raw yt-dlp format string"
complete -c idm -n "__fish_seen_subcommand_from add" -s d -l dir -x -a "(__fish_complete_directories)" -d "download folder"
complete -c idm -n "__fish_seen_subcommand_from add" -s o -l filename -x -d "file name (one URL)"
complete -c idm -n "__fish_seen_subcommand_from add" -s c -l connections -x -a "1 2 4 8 16 32" -d "connections per download"
complete -c idm -n "__fish_seen_subcommand_from add" -s H -l header -x -d "extra request header"
complete -c idm -n "__fish_seen_subcommand_from add" -l referer -x -d "Referer header"
complete -c idm -n "__fish_seen_subcommand_from add" -l checksum -x -d "sha256=HEX or md5=HEX"
complete -c idm -n "__fish_seen_subcommand_from add" -l mode -x -a "auto http media" -d "how to download"
complete -c idm -n "__fish_seen_subcommand_from add" -l start -x -a "now queued paused" -d "when to start"
complete -c idm -n "__fish_seen_subcommand_from add" -s w -l wait -d "show progress and wait until done"
complete -c idm -n "__fish_seen_subcommand_from ls" -s s -l status -x -a "queued downloading paused waiting completed failed cancelled" -d "only this status"
complete -c idm -n "__fish_seen_subcommand_from ls" -s q -l query -x -d "search names and URLs"
complete -c idm -n "__fish_seen_subcommand_from ls" -s n -l limit -x -d "at most this many"
complete -c idm -n "__fish_seen_subcommand_from watch" -s t -l type -x -a "$events" -d "only this event type"
complete -c idm -n "__fish_seen_subcommand_from add ls info probe watch pair" -l json -d "print JSON"
complete -c idm -n "__fish_seen_subcommand_from rm" -l delete-files -d "also delete the downloaded files"
complete -c idm -n "__fish_seen_subcommand_from pair; and not __fish_seen_subcommand_from approve deny list revoke" -a "approve deny list revoke"
complete -c idm -n "__fish_seen_subcommand_from resolve" -x -a "rename overwrite skip"
