package main

// The completion scripts ask "esimhooks __complete" for the candidates
// (completion.go); each is printed by "esimhooks completion SHELL".
var completionScripts = map[string]string{"bash": bashCompletion, "zsh": zshCompletion, "fish": fishCompletion}

const bashCompletion = `# bash completion for esimhooks
# Load it in this shell:   source <(esimhooks completion bash)
# or for every session:    esimhooks completion bash > ~/.local/share/bash-completion/completions/esimhooks
_esimhooks() {
    local line=${COMP_LINE:0:COMP_POINT}
    local -a words lines
    read -r -a words <<< "$line"
    [[ $line =~ [[:space:]]$ ]] && words+=("")
    local cur=${words[${#words[@]}-1]}
    mapfile -t lines < <("${words[0]}" __complete "${words[@]:1}" 2>/dev/null)
    local n=${#lines[@]}
    (( n > 0 )) || return 0
    local directive=${lines[n-1]#:}
    unset 'lines[n-1]'
    # bash's word may be only the part after a break character (= or :):
    # drop what comes before it from every candidate.
    local word=${COMP_WORDS[COMP_CWORD]}
    local strip=${cur%"$word"}
    COMPREPLY=()
    local c
    for c in "${lines[@]}"; do
        c=${c%%$'\t'*}
        COMPREPLY+=("${c#"$strip"}")
    done
    case $directive in
    1) compopt -o filenames 2>/dev/null; COMPREPLY+=($(compgen -f -- "${cur#*=}")) ;;
    2) compopt -o filenames 2>/dev/null; COMPREPLY+=($(compgen -d -- "${cur#*=}")) ;;
    esac
    return 0
}
complete -F _esimhooks esimhooks
`

const zshCompletion = `#compdef esimhooks
# zsh completion for esimhooks
# Load it in this shell:   source <(esimhooks completion zsh)
# or for every session:    esimhooks completion zsh > "${fpath[1]}/_esimhooks"
_esimhooks() {
    local -a lines cands
    local line directive value desc
    lines=("${(@f)$("${words[1]}" __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    (( ${#lines} > 0 )) || return 1
    directive=${lines[-1]#:}
    for line in "${(@)lines[1,-2]}"; do
        [[ -n $line ]] || continue
        value=${line%%$'\t'*}
        value=${value//:/\\:}
        if [[ $line == *$'\t'* ]]; then
            desc=${line#*$'\t'}
            cands+=("$value:$desc")
        else
            cands+=("$value")
        fi
    done
    (( ${#cands} > 0 )) && _describe -t values 'esimhooks' cands
    case $directive in
    1) _files ;;
    2) _files -/ ;;
    esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _esimhooks "$@"
else
    compdef _esimhooks esimhooks
fi
`

const fishCompletion = `# fish completion for esimhooks
# Load it in this shell:   esimhooks completion fish | source
# or for every session:    esimhooks completion fish > ~/.config/fish/completions/esimhooks.fish
function __esimhooks_complete
    set -l words (commandline -opc)
    set -l out ($words[1] __complete $words[2..-1] (commandline -ct) 2>/dev/null)
    test (count $out) -gt 0; or return
    set -l directive (string replace ':' '' -- $out[-1])
    set -e out[-1]
    printf '%s\n' $out
    switch $directive
        case 1
            __fish_complete_path (string replace -r '^--[^=]*=' '' -- (commandline -ct))
        case 2
            __fish_complete_directories (string replace -r '^--[^=]*=' '' -- (commandline -ct))
    end
end
complete -c esimhooks -f -a '(__esimhooks_complete)'
`
