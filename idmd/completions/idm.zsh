#compdef idm
# zsh completion for idm, the idm download manager's command line.
# Use: save as _idm in a folder on $fpath, or
# eval "$(idm completion zsh)" in ~/.zshrc after compinit.

# The ids of the daemon's jobs (none when it is not running).
_idm_ids() {
    local -a ids
    ids=(${(f)"$(idm ls --ids --limit 1000 2>/dev/null)"})
    _describe -t jobs 'job id' ids
}

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
        'limit:set the speed limit of all downloads or of one'
        'config:show or change the daemon settings'
        'stop:stop the daemon'
        'completion:print the shell completion script'
        'probe:what a URL is, without downloading'
        'watch:print events as they happen'
        'pair:approve, deny, list or revoke browser pairings'
        'resolve:answer a download that waits because its file exists'
        'token:print the token'
        'credentials:keep, list or forget a user and password per site'
        'refresh:give a paused or failed download a new URL, keeping its bytes'
        'export:write the download list and history to a file'
        'import:add the downloads and history of an idm export'
        'queue:named queues: when their downloads may run'
        'schedule:the speed limit by time of day'
        'set:change a download'"'"'s options (category, after, proxy, priority, …)'
    )
    statuses=(queued downloading paused waiting completed failed cancelled)
    events=(job.added job.updated job.status job.progress job.duplicate job.removed job.log stats
        pairing.requested pairing.approved config.changed queue.opened queue.closed schedule.limit schedule.changed)
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
                        '--cookies=[a cookies.txt file or a Cookie header]:cookies file:_files' \
                        '--user-agent=[User-Agent header]:user agent:' \
                        '--priority=[higher runs first]:priority:' \
                        '--on-duplicate=[when the file exists]:action:(rename overwrite skip ask)' \
                        '(--limit --speed-limit)'{--limit=,--speed-limit=}'[bytes per second (500K, 2M), 0: none]:rate:' \
                        '--user=[user name (HTTP Basic authentication)]:user:' \
                        '--password=[password for --user]:password:' \
                        '--proxy=[proxy for this download (socks5://user:pass@host:1080, direct)]:proxy:' \
                        '--proxy-password=[password for the --proxy user]:password:' \
                        '--category=[category (folder and after-action)]:category:(Compressed Documents Music Programs Video)' \
                        '--after=[action when completed (config \[actions\] name, or none)]:action:' \
                        '--queue=[the queue to wait in]:queue:' \
                        '--start-at=[not before this time, HH:MM or ISO]:time:' \
                        '(-i --input-file)'{-i+,--input-file=}'[also the URLs in FILE (- : standard input)]:file:_files' \
                        '--again[add a URL even when a download of it is already queued or running]' \
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
                        '--sort=[sort key]:key:(created_at -created_at finished_at -finished_at filename -filename)' \
                        '--ids[only the ids, one a line]' \
                        '--json[print JSON]' && ret=0
                    ;;
                info)
                    _arguments '--json[print JSON]' '1:job id:_idm_ids' && ret=0
                    ;;
                probe)
                    _arguments '--json[print JSON]' '1:URL:_urls' && ret=0
                    ;;
                watch)
                    _arguments \
                        '--json[one JSON object per line]' \
                        "*"{-t+,--type=}"[only this event type]:event type:($events)" && ret=0
                    ;;
                rm | pause | resume | cancel | retry)
                    _arguments \
                        '--all[every download the command applies to]' \
                        "*"{-s+,--status=}"[every download in this status]:status:($statuses)" \
                        '--delete-files[also delete the downloaded files (rm)]' \
                        '*:job id:_idm_ids' && ret=0
                    ;;
                limit)
                    _arguments '1:job id or rate:_idm_ids' '2:rate:' && ret=0
                    ;;
                config)
                    _arguments '1:action:(get set)' \
                        '2:key:(host port download_dir max_active connections max_connections_per_host min_split speed_limit stall_timeout retries on_duplicate user_agent allowed_origins event_retention log_level proxy no_proxy auto_retry auto_retry_wait auto_retry_max)' \
                        '3:value:' && ret=0
                    ;;
                completion)
                    _arguments '1:shell:(bash zsh fish)' && ret=0
                    ;;
                resolve)
                    _arguments '1:job id:_idm_ids' '2:answer:(rename overwrite skip)' && ret=0
                    ;;
                credentials)
                    _arguments '--user=[the user name (add)]:user:' \
                        '--password-stdin[read the password from stdin (add)]' \
                        '--json[list as JSON]' '1:action:(add list remove)' '2:host:_hosts' && ret=0
                    ;;
                set)
                    _arguments \
                        '(-o --filename)'{-o+,--filename=}'[file name]:file name:' \
                        '(-c --connections)'{-c+,--connections=}'[connections per download]:connections:(1 2 4 8 16 32)' \
                        '--priority=[higher runs first]:priority:' \
                        '(--limit --speed-limit)'{--limit=,--speed-limit=}'[bytes per second (500K, 2M), 0: none]:rate:' \
                        '--proxy=[proxy for this download (socks5://user:pass@host:1080, direct)]:proxy:' \
                        '--category=[category (folder and after-action)]:category:(Compressed Documents Music Programs Video)' \
                        '--after=[action when completed (config \[actions\] name, or none)]:action:' \
                        '--queue=[the queue to wait in]:queue:' \
                        '--start-at=[not before this time, HH:MM or ISO]:time:' \
                        '1:job id:_idm_ids' && ret=0
                    ;;
                refresh)
                    _arguments '1:job id:_idm_ids' '2:new url:_urls' && ret=0
                    ;;
                export)
                    _arguments '--format=[what to write]:format:(json urls)' '1:file:_files' && ret=0
                    ;;
                import)
                    _arguments '1:file:_files' && ret=0
                    ;;
                queue)
                    _arguments \
                        '*'{-w+,--window=}'[when the queue runs, DAYS HH:MM-HH:MM]:window:' \
                        '--no-windows[the queue may run at any time]' \
                        '--start-at=[not before this time, HH:MM or ISO]:time:' \
                        '(--stop-when-done --no-stop-when-done)--stop-when-done[hold the queue when it is done]' \
                        '(--stop-when-done --no-stop-when-done)--no-stop-when-done[keep the queue open when done]' \
                        '--max-active=[at most N of its downloads at once (0: none of its own)]:n:' \
                        '--json[print JSON]' '1:action:(ls set rm start stop)' '2:queue:' && ret=0
                    ;;
                schedule)
                    _arguments '--json[print JSON]' '1:action:(show set clear)' '*:window and limit:' && ret=0
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
