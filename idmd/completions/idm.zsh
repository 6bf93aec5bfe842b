#compdef idm
# zsh completion for idm, the idm download manager's command line.
# Use: save as _idm in a folder on $fpath, or
# eval "$(python3 -m idmd.completions zsh idm)" in ~/.zshrc after compinit.

_idm() {
    local curcontext=$curcontext state line ret=1
    local -a commands statuses events
    commands=(
        'add:download URLs (files, media pages, playlists)'
        'ls:list downloads'
        'info:one download in detail'
        'pause:pause downloads'
        'resume:resume downloads'
        'cancel:cancel downloads'
        'retry:retry failed or cancelled downloads'
        'rm:remove downloads from the list'
        'probe:what a URL is, without downloading'
        'watch:print events as they happen'
        'pair:approve, deny, list or revoke browser pairings'
        'resolve:answer a download that waits because its file exists'
        'token:print the token'
    )
    statuses=(queued downloading paused waiting completed failed cancelled)
    events=(job.added job.updated job.status job.progress job.duplicate job.removed job.log stats
        pairing.requested pairing.approved config.changed)
    _arguments -C \
        '--url=[the daemon WebSocket URL]:url:_urls' \
        '--token=[the daemon token]:token:' \
        '(- *)'{-h,--help}'[show help]' \
        '(- *)--version[show the version]' \
        '1:command:->command' \
        '*::argument:->argument' && ret=0
    case $state in
        command)
            _describe -t commands 'idm command' commands && ret=0
            ;;
        argument)
            curcontext=${curcontext%:*:*}:idm-$line[1]:
            case $line[1] in
                add)
                    _arguments \
                        '(-q --quality)'{-q+,--quality=}'[media quality]:quality:(best 2160p 1440p 1080p 720p 480p 360p audio)' \
                        '--format=[a raw yt-dlp format string]:format:' \
                        '(-d --dir)'{-d+,--dir=}'[download folder]:folder:_directories' \
                        '(-o --filename)'{-o+,--filename=}'[file name (one URL)]:file name:' \
                        '(-c --connections)'{-c+,--connections=}'[connections per download]:connections:(1 2 4 8 16 32)' \
                        '*'{-H+,--header=}'[extra request header, "Name: value"]:header:' \
                        '--referer=[Referer header]:url:_urls' \
                        '--cookies=[Cookie header]:cookies:' \
                        '--user-agent=[User-Agent header]:user agent:' \
                        '--priority=[higher runs first]:priority:' \
                        '--on-duplicate=[when the file exists]:action:(rename overwrite skip ask)' \
                        '--speed-limit=[bytes per second, 0: none]:bytes per second:' \
                        '(--playlist --no-playlist)--playlist[a playlist URL: one job per entry]' \
                        '(--playlist --no-playlist)--no-playlist[a playlist URL fails instead]' \
                        '--checksum=[verify the file, sha256=HEX, sha1=HEX, md5=HEX or sha512=HEX]:checksum:' \
                        '--mode=[how to download]:mode:(auto http media)' \
                        '--start=[when to start]:start:(now queued paused)' \
                        '(-w --wait)'{-w,--wait}'[show progress and wait until done]' \
                        '--json[print the jobs as JSON]' \
                        '*:URL:_urls' && ret=0
                    ;;
                ls)
                    _arguments \
                        "*"{-s+,--status=}"[only this status]:status:($statuses)" \
                        '(-q --query)'{-q+,--query=}'[search names and URLs]:text:' \
                        '(-n --limit)'{-n+,--limit=}'[at most this many]:limit:' \
                        '--json[print JSON]' && ret=0
                    ;;
                info)
                    _arguments '--json[print JSON]' '1:job id:' && ret=0
                    ;;
                probe)
                    _arguments '--json[print JSON]' '1:URL:_urls' && ret=0
                    ;;
                watch)
                    _arguments \
                        '--json[one JSON object per line]' \
                        "*"{-t+,--type=}"[only this event type]:event type:($events)" && ret=0
                    ;;
                rm)
                    _arguments '--delete-files[also delete the downloaded files]' '*:job id:' && ret=0
                    ;;
                pause | resume | cancel | retry)
                    _arguments '*:job id:' && ret=0
                    ;;
                resolve)
                    _arguments '1:job id:' '2:answer:(rename overwrite skip)' && ret=0
                    ;;
                pair)
                    _arguments '--json[print JSON]' '1:action:(approve deny list revoke)' '2:code or client id:' && ret=0
                    ;;
            esac
            ;;
    esac
    return ret
}

# Autoloaded from $fpath the function runs at once; sourced, it registers.
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _idm "$@"
else
    compdef _idm idm
fi
