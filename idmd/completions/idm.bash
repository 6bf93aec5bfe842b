# bash completion for idm, the idm download manager's command line.
# Use: eval "$(idm completion bash)" in ~/.bashrc, or save this file as
# ~/.local/share/bash-completion/completions/idm.

# The ids of the daemon's jobs (nothing when it is not running).
_idm_ids() {
    idm ls --ids --limit 1000 2>/dev/null
}

_idm() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local commands="add ls info pause resume cancel retry rm limit config stop probe watch pair resolve token completion credentials refresh export import queue schedule set"
    local statuses="queued downloading paused waiting completed failed cancelled"
    local cmd="" i opts=""
    # The subcommand is the first word that is neither an option nor its value.
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --url | --token) ((i++)) ;;
            -*) ;;
            *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    # Values of options; -q is --quality for add and --query for ls.
    case $cmd:$prev in
        add:-q | add:--quality) COMPREPLY=($(compgen -W "best 2160p 1440p 1080p 720p 480p 360p audio" -- "$cur")); return ;;
        add:--mode) COMPREPLY=($(compgen -W "auto http media" -- "$cur")); return ;;
        add:--start) COMPREPLY=($(compgen -W "now queued paused" -- "$cur")); return ;;
        add:-d | add:--dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        add:-i | add:--input-file | add:--cookies) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        add:-c | add:--connections) COMPREPLY=($(compgen -W "1 2 4 8 16 32" -- "$cur")); return ;;
        add:--on-duplicate) COMPREPLY=($(compgen -W "rename overwrite skip ask" -- "$cur")); return ;;
        add:-o | add:--filename | add:-H | add:--header | add:--checksum | add:--format | add:--referer) return ;;
        add:--user-agent | add:--priority | add:--limit | add:--speed-limit | add:--user | add:--password | add:--category | add:--after) return ;;
        add:--proxy | add:--proxy-password | credentials:--user) return ;;
        add:--queue | add:--start-at) return ;;
        set:-o | set:--filename | set:-c | set:--connections | set:--priority | set:--limit | set:--speed-limit) return ;;
        set:--proxy | set:--category | set:--after | set:--queue | set:--start-at) return ;;
        queue:-w | queue:--window | queue:--start-at | queue:--max-active) return ;;
        ls:-s | ls:--status | pause:-s | resume:-s | cancel:-s | retry:-s | rm:-s | *:--status)
            COMPREPLY=($(compgen -W "$statuses" -- "$cur"))
            return
            ;;
        ls:--sort)
            COMPREPLY=($(compgen -W "created_at -created_at finished_at -finished_at filename -filename" -- "$cur"))
            return
            ;;
        ls:-q | ls:--query | ls:-n | ls:--limit) return ;;
        export:--format)
            COMPREPLY=($(compgen -W "json urls" -- "$cur"))
            return
            ;;
        watch:-t | watch:--type)
            COMPREPLY=($(compgen -W "job.added job.updated job.status job.progress job.duplicate job.removed job.log stats pairing.requested pairing.approved config.changed queue.opened queue.closed schedule.limit schedule.changed" -- "$cur"))
            return
            ;;
        *:--url | *:--token) return ;;
    esac
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--url --token --help --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi
    case $cmd in
        add) opts="--quality --dir --filename --connections --header --cookies --checksum --mode --format --referer --user-agent --start --priority --on-duplicate --limit --speed-limit --playlist --no-playlist --user --password --proxy --proxy-password --category --after --queue --start-at --input-file --again --wait --json" ;;
        ls) opts="--status --query --limit --sort --ids --json" ;;
        probe) opts="--json" ;;
        info)
            opts="--json"
            [[ $cur != -* ]] && COMPREPLY=($(compgen -W "$(_idm_ids)" -- "$cur")) && return
            ;;
        watch) opts="--json --type" ;;
        pause | resume | cancel | retry | rm)
            opts="--all --status"
            [[ $cmd == rm ]] && opts+=" --delete-files"
            [[ $cur != -* ]] && COMPREPLY=($(compgen -W "$(_idm_ids)" -- "$cur")) && return
            ;;
        limit)
            [[ $prev == limit && $cur != -* ]] && COMPREPLY=($(compgen -W "$(_idm_ids)" -- "$cur")) && return
            ;;
        config)
            if [[ $prev == config ]]; then
                COMPREPLY=($(compgen -W "get set" -- "$cur"))
                return
            fi
            if [[ $prev == get || $prev == set ]]; then
                COMPREPLY=($(compgen -W "host port download_dir max_active connections max_connections_per_host min_split speed_limit stall_timeout retries on_duplicate user_agent allowed_origins event_retention log_level proxy no_proxy auto_retry auto_retry_wait auto_retry_max" -- "$cur"))
                return
            fi
            ;;
        completion)
            [[ $prev == completion ]] && COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) && return
            ;;
        resolve)
            if [[ $COMP_CWORD -ge 3 && ${COMP_WORDS[COMP_CWORD-2]} == resolve ]]; then
                COMPREPLY=($(compgen -W "rename overwrite skip" -- "$cur"))
                return
            fi
            [[ $prev == resolve ]] && COMPREPLY=($(compgen -W "$(_idm_ids)" -- "$cur")) && return
            ;;
        credentials)
            opts="--user --password-stdin --json"
            [[ $prev == credentials ]] && COMPREPLY=($(compgen -W "add list remove" -- "$cur")) && return
            ;;
        set)
            opts="--filename --connections --priority --limit --speed-limit --proxy --category --after --queue --start-at"
            [[ $prev == set ]] && COMPREPLY=($(compgen -W "$(_idm_ids)" -- "$cur")) && return
            ;;
        refresh)
            [[ $prev == refresh ]] && COMPREPLY=($(compgen -W "$(_idm_ids)" -- "$cur")) && return
            ;;
        export) opts="--format" ;;
        queue)
            opts="--window --no-windows --start-at --stop-when-done --no-stop-when-done --max-active --json"
            [[ $prev == queue ]] && COMPREPLY=($(compgen -W "ls set rm start stop" -- "$cur")) && return
            ;;
        schedule)
            opts="--json"
            [[ $prev == schedule ]] && COMPREPLY=($(compgen -W "show set clear" -- "$cur")) && return
            ;;
        pair)
            opts="--json"
            if [[ $prev == pair ]]; then
                COMPREPLY=($(compgen -W "approve deny list revoke" -- "$cur"))
                return
            fi
            ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
    fi
}
complete -o default -F _idm idm
