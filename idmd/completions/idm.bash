# bash completion for idm, the idm download manager's command line.
# Use: eval "$(python3 -m idmd.completions bash idm)" in ~/.bashrc, or save
# this file as ~/.local/share/bash-completion/completions/idm.

_idm() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local commands="add ls info pause resume cancel retry rm probe watch pair resolve token"
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
        add:-c | add:--connections) COMPREPLY=($(compgen -W "1 2 4 8 16 32" -- "$cur")); return ;;
        add:--on-duplicate) COMPREPLY=($(compgen -W "rename overwrite skip ask" -- "$cur")); return ;;
        add:-o | add:--filename | add:-H | add:--header | add:--checksum | add:--format | add:--referer) return ;;
        add:--cookies | add:--user-agent | add:--priority | add:--speed-limit) return ;;
        ls:-s | ls:--status) COMPREPLY=($(compgen -W "queued downloading paused waiting completed failed cancelled" -- "$cur")); return ;;
        ls:-q | ls:--query | ls:-n | ls:--limit) return ;;
        watch:-t | watch:--type)
            COMPREPLY=($(compgen -W "job.added job.updated job.status job.progress job.duplicate job.removed job.log stats pairing.requested pairing.approved config.changed" -- "$cur"))
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
        add) opts="--quality --dir --filename --connections --header --cookies --checksum --mode --format --referer --user-agent --start --priority --on-duplicate --speed-limit --playlist --no-playlist --wait --json" ;;
        ls) opts="--status --query --limit --json" ;;
        info | probe) opts="--json" ;;
        watch) opts="--json --type" ;;
        rm) opts="--delete-files" ;;
        resolve)
            if [[ $COMP_CWORD -ge 3 && ${COMP_WORDS[COMP_CWORD-2]} == resolve ]]; then
                COMPREPLY=($(compgen -W "rename overwrite skip" -- "$cur"))
                return
            fi
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
