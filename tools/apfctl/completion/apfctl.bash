# SPDX-License-Identifier: GPL-2.0-only
# bash completion for apfctl(8)

# Running VMs as "pid<TAB>name" lines, from `apfctl -j status` (no jq
# needed: the VM objects are flat, one "pid" then one "name" each).
# Only names of plain characters are offered: a VM name is chosen by
# whoever started QEMU, and compgen -W would expand "$(...)" in it.
_apfctl_vms()
{
    local json
    local -a root=()
    [[ -n $1 ]] && root=(--sysroot "$1")
    json=$(apfctl "${root[@]}" -j status 2>/dev/null) || return
    json=${json#*\"vms\":\[}
    [[ $json == *\"pid\":* ]] || return
    printf '%s\n' "$json" | grep -o '"pid":[0-9]*,"name":"[A-Za-z0-9._:+,@%=-]*"' |
        sed 's/^"pid":\([0-9]*\),"name":"\(.*\)"$/\1\t\2/'
}

_apfctl()
{
    local cur prev words cword split
    _init_completion -s || return

    local commands="status stats trace export enable disable hook apply-config kexec"
    local global="-j --json -p --pretty -V --version -h --help --sysroot --qmp-timeout"
    local cmd="" sysroot="" i

    # The command is the first word that is not a global option (or
    # --sysroot's argument).
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --sysroot) sysroot=${words[i + 1]}; ((i++)) ;;
            --sysroot=*) sysroot=${words[i]#--sysroot=} ;;
            --qmp-timeout) ((i++)) ;;
            -*) ;;
            *) cmd=${words[i]}; break ;;
        esac
    done

    case $prev in
        --sysroot)
            _filedir -d
            return ;;
        --qmp-timeout)
            return ;;
        -L | --log-to | -o | --output | --qmp | --initrd)
            _filedir
            return ;;
        -s | --delay | -d | --duration | -n | --count)
            return ;;
    esac
    # --opt=value for an option without a value to complete.
    $split && return

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$global" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
        fi
        return
    fi

    # Values that name a VM: pids for -p, names for -g, either for --vm.
    case $cmd:$prev in
        stats:-p | stats:--pid | trace:-p | trace:--pid)
            mapfile -t COMPREPLY < <(compgen -W "$(_apfctl_vms "$sysroot" | cut -f1)" -- "$cur")
            return ;;
        stats:-g | stats:--guest | trace:-g | trace:--guest | enable:--vm | disable:--vm)
            local names
            names=$(_apfctl_vms "$sysroot" | cut -f2)
            [[ $prev == --vm ]] && names+=$'\n'$(_apfctl_vms "$sysroot" | cut -f1)
            mapfile -t COMPREPLY < <(compgen -W "$names" -- "$cur")
            return ;;
    esac

    local opts
    case $cmd in
        status)
            opts="-j --json -p --pretty -h --help --sysroot" ;;
        stats)
            opts="-1 --once -s --delay -n --count -p --pid -g --guest
                  -z --skip-zero -a --all -v --vcpus -l --log -L --log-to
                  -c --csv -j --json --pretty --qmp --no-qmp --no-libvirt
                  --no-perf -h --help --sysroot" ;;
        trace)
            opts="-d --duration -p --pid -g --guest -j --json --pretty
                  -h --help --sysroot" ;;
        export)
            opts="-o --output -d --duration -h --help --sysroot" ;;
        enable | disable)
            opts="--host --guest --vm --qmp -j --json -p --pretty -h --help
                  --sysroot" ;;
        hook)
            opts="--check -j --json --pretty -h --help" ;;
        apply-config)
            [[ $cur != -* ]] && { _filedir conf; return; }
            opts="--check -j --json --pretty -h --help --sysroot" ;;
        kexec)
            opts="--kernel --initrd --append --command-line --dry-run --reboot
                  --fallback-reboot -j --json --pretty -h --help --sysroot" ;;
        *)
            return ;;
    esac
    [[ $cur == -* ]] && mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
} &&
    complete -F _apfctl apfctl

# ex: filetype=sh
