# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for op25bc(8): subcommands, their options, the values of
# options that take a fixed set, and file names for POLICY and file options.

_op25bc_options() {
  case $1 in
    validate) echo "--strict --base --format" ;;
    compile) echo "--router --at --format -o --output --kernel-timed --backend" ;;
    explain) echo "--router --src --dst --port --at --format" ;;
    timeline) echo "--router --at --warn-days --format" ;;
    apply) echo "--router --at --verify --state --sessions --lock --lock-wait --format --kernel-timed --backend --dry-run --adopt --strict --keep" ;;
    diff) echo "--router --at --verify --state --sessions --lock --lock-wait --format --kernel-timed --backend" ;;
    activate) echo "--router --at --state --sessions --lock --lock-wait --allow-rollback --kernel-timed --strict --warn-days --no-syslog --keep --metrics --backend --verify --verify-every --deadline" ;;
    schedule) echo "--router --emit --bin --state --metrics -o --output --backend" ;;
    status) echo "--table --state --verify --format --backend" ;;
    affected) echo "--router --state --format -o --output --backend" ;;
    history) echo "--table --state --format --backend" ;;
    rollback) echo "--table --state --sessions --to --at --dry-run --release --lock --lock-wait --keep --backend" ;;
    metrics) echo "--table --state -o --output --warn-days --backend" ;;
    "exempt add") echo "--id --prefix --subscriber --reason --effective --until --ticket --apply --router --at --state --sessions --lock --lock-wait --keep --backend" ;;
    "exempt remove") echo "--apply --router --at --state --sessions --lock --lock-wait --keep --backend" ;;
    "exempt list") echo "--at --state --sessions --backend --format --expiring" ;;
    notice) echo "--router --lang --format --at -o --output" ;;
    "session up") echo "--subscriber --address --table --state --backend --lock --lock-wait" ;;
    "session down") echo "--subscriber --address --table --state --backend --lock --lock-wait" ;;
    "session list") echo "--table --state --backend --format" ;;
    "session sync") echo "--radius-detail --kea-leases --dnsmasq-leases --trust-client-id --subscriber-attribute --writer --table --state --backend --lock --lock-wait" ;;
    "session kea") echo "--lease-file --trust-client-id --writer --table --state --backend --lock --lock-wait" ;;
    "session follow") echo "--radius-detail --once --position --subscriber-attribute --batch --writer --table --state --backend --lock --lock-wait" ;;
  esac
}

_op25bc() {
  local cur prev words cword
  _init_completion || return
  local commands="validate compile explain timeline apply diff activate schedule status affected history rollback metrics exempt session notice"
  local command="" i
  for ((i = 1; i < cword; i++)); do
    if [[ " $commands " == *" ${words[i]} "* ]]; then
      command=${words[i]}
      break
    fi
  done
  if [[ -z $command ]]; then
    COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
    return
  fi
  # exempt and session take a subcommand first.
  if [[ $command == exempt || $command == session ]]; then
    if ((cword == i + 1)); then
      if [[ $command == exempt ]]; then
        COMPREPLY=($(compgen -W "add remove list --help" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "up down list follow sync kea --help" -- "$cur"))
      fi
      return
    fi
    command="$command ${words[i + 1]}"
  fi
  case $prev in
    --format)
      if [[ $command == compile ]]; then
        COMPREPLY=($(compgen -W "nft json" -- "$cur"))
      elif [[ $command == affected ]]; then
        COMPREPLY=($(compgen -W "text json csv" -- "$cur"))
      elif [[ $command == notice ]]; then
        COMPREPLY=($(compgen -W "html markdown" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "text json" -- "$cur"))
      fi
      return ;;
    --emit) COMPREPLY=($(compgen -W "cron systemd" -- "$cur")); return ;;
    --lang) COMPREPLY=($(compgen -W "en ja" -- "$cur")); return ;;
    --backend) COMPREPLY=($(compgen -W "nftables iptables" -- "$cur")); return ;;
    --at) COMPREPLY=($(compgen -W "now" -- "$cur")); return ;;
    --state | --sessions | --lock | --metrics | --bin | -o | --output | --radius-detail | --position | --kea-leases | --dnsmasq-leases | --lease-file)
      _filedir
      return ;;
    --base) _filedir -d; return ;;
    --src | --dst | --port | --warn-days | --lock-wait | --keep | --table | --to | --router) return ;;
    --subscriber | --address | --id | --prefix | --reason | --effective | --until | --ticket | --expiring) return ;;
    --subscriber-attribute | --batch) return ;;
    --writer) COMPREPLY=($(compgen -u -- "$cur")); return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_op25bc_options "$command") --help" -- "$cur"))
    return
  fi
  case $command in
    status | history | rollback | metrics | session*) ;;
    *) _filedir json ;;  # POLICY
  esac
}
complete -F _op25bc op25bc
