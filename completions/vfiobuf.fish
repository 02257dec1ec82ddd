# fish completion for vfiobuf; candidates from `vfiobuf __complete`, which
# reads the tool's own option tables.
function __vfiobuf_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l out (command vfiobuf __complete $words (commandline -ct) 2>/dev/null)
    switch "$out[1]"
        case __files__
            __fish_complete_path (commandline -ct)
        case __dirs__
            __fish_complete_directories (commandline -ct)
        case '*'
            printf '%s\n' $out
    end
end
complete -c vfiobuf -f -a '(__vfiobuf_complete)'
