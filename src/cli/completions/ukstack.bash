# bash completion for ukstack(1); needs bash-completion (its _init_completion, _filedir
# and _pids). Installed as share/bash-completion/completions/ukstack.

_ukstack()
{
    local cur prev words cword split
    _init_completion -s || return

    case $prev in
        --stop) COMPREPLY=($(compgen -W 'auto each all none' -- "$cur")); return ;;
        --engine) COMPREPLY=($(compgen -W 'auto bpf procfs' -- "$cur")); return ;;
        --unwinder) COMPREPLY=($(compgen -W 'libdw libunwind' -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W 'text json folded pprof' -- "$cur")); return ;;
        --layout) COMPREPLY=($(compgen -W 'auto rows columns' -- "$cur")); return ;;
        --color) COMPREPLY=($(compgen -W 'auto always never' -- "$cur")); return ;;
        --core | --exe | --input | -o | --output) _filedir; return ;;
        --debug-dir | --sysroot) _filedir -d; return ;;
        -p | --pid) _pids; return ;;
        --tid | --timeout | --samples | --interval | --debuginfod-timeout) return ;;  # numbers
    esac
    $split && return

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '-h --help --version -p --pid --core --exe --sysroot --input
            --resymbolize --stop --engine -v --verbose --unwinder --inlines --no-inlines --native --no-native
            --format --tid --timeout --samples --interval -o --output --debug-dir
            --debuginfod-timeout --layout --group --no-group --all-goroutines --color' -- "$cur"))
        return
    fi
    # A process: by PID, or (ukstack takes one) by name once a letter is typed. bash
    # cannot show a name beside each PID; zsh's completion does.
    if [[ -z $cur || $cur == [0-9]* ]]; then
        _pids
    else
        local IFS=$'\n'
        COMPREPLY=($(compgen -W "$(command ps axo comm= | sort -u)" -- "$cur"))
    fi
} &&
    complete -F _ukstack ukstack
