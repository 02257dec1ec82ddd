# bash completion for vfiobuf
# Candidates come from `vfiobuf __complete WORDS...`, which reads the same
# option tables the tool parses with, so they never drift from the CLI.
_vfiobuf()
{
    local cur=${COMP_WORDS[COMP_CWORD]}
    local IFS=$'\n'
    local -a words=("${COMP_WORDS[@]:1:COMP_CWORD}")
    local out
    out=$("${COMP_WORDS[0]}" __complete "${words[@]}" 2>/dev/null) || return 0
    case $out in
    __files__)
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
        ;;
    __dirs__)
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -d -- "$cur"))
        ;;
    *)
        COMPREPLY=($(compgen -W "$out" -- "$cur"))
        ;;
    esac
    return 0
}
complete -F _vfiobuf vfiobuf
