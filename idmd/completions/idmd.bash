# bash completion for idmd, the idm download daemon.
# Use: eval "$(python3 -m idmd.completions bash idmd)" in ~/.bashrc, or save
# this file as ~/.local/share/bash-completion/completions/idmd.

_idmd() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local i service=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == service ]] && service=yes
    done
    case $prev in
        --log-level) COMPREPLY=($(compgen -W "debug info warning error" -- "$cur")); return ;;
        --download-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --port | --host | --fleet) return ;;
        service) COMPREPLY=($(compgen -W "install uninstall status" -- "$cur")); return ;;
    esac
    if [[ -n $service ]]; then
        COMPREPLY=($(compgen -W "--dry-run --help" -- "$cur"))
    elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--port --host --download-dir --log-level --fleet --print-config --detach --version --help" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "service" -- "$cur"))
    fi
}
complete -F _idmd idmd
