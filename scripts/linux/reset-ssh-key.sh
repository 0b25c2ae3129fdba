#!/usr/bin/env bash
# reset-ssh-key.sh: add one SSH public key for the login users of an offline Linux root volume.
#
#   reset-ssh-key.sh (--device DEV | --root DIR) --public-key 'KEY' [--users auto|NAME,NAME]
#
# The helper instance runs this as root through SSM Run Command against the target's detached
# root volume (or with `--root /` on a live instance). The volume is untrusted: its paths are
# resolved inside it, nothing from it is executed, and only keys files (and their directories) are
# written. Prints status lines, then one JSON line. Exit 0 only when at least one user can now log
# in with the key. See README.md beside this file.
set -Eeuo pipefail
shopt -s inherit_errexit
export LC_ALL=C LVM_SUPPRESS_FD_WARNINGS=1
PATH=$PATH:/usr/sbin:/sbin
umask 077

readonly CLOUD_USERS=" ec2-user ubuntu admin debian centos rocky almalinux fedora cloud-user bitnami \
opc core arch alpine kali "
readonly DEFAULT_KEYS_FILES='.ssh/authorized_keys .ssh/authorized_keys2'
# A home directory that resolves to one of these is refused: a key file there is not a home's.
readonly SYSTEM_DIRS=" / /bin /boot /dev /etc /lib /lib64 /proc /run /sbin /sys /tmp /usr /var "
readonly MAX_FILE_BYTES=4194304

DEVICE="" ROOT_ARGUMENT="" PUBLIC_KEY="" USERS_SPEC=auto
KEY_TYPE="" KEY_BLOB="" KEY_LINE=""
ROOT=""         # helper path of the volume's "/"; empty when that is the helper's own "/"
FILESYSTEM=""   # type of the volume's root filesystem
WORK=""         # private 0700 directory: mount points and the records of this run
FAILURE=""      # why the run as a whole failed
ISOLATING=0     # set while a user is served in a subshell (its failure is that user's only)
USER_SHELL_PID=""
VOLUME_SELINUX=0
EARLY_WARNINGS=()
CLEANUP_ACTIONS=() CLEANUP_TARGETS=() CLEANUP_PROBLEMS=()
# Filesystems found on the device: parallel arrays indexed like CANDIDATE_DEVICES.
CANDIDATE_DEVICES=() CANDIDATE_TYPES=() CANDIDATE_NAMES=() CANDIDATE_UUIDS=() CANDIDATE_LABELS=()
CANDIDATE_PARTUUIDS=() CANDIDATE_LVS=() CANDIDATE_SUBVOLS=()
ROOT_CANDIDATE=-1
# Accounts of the volume (valid /etc/passwd entries only).
USER_NAMES=() USER_UIDS=() USER_GIDS=() USER_HOMES=() USER_SHELLS=()
declare -A USER_INDEX=() SHADOW_LINES=() UNAVAILABLE_MOUNTS=()
GROUP_LINES=()
# sshd configuration, flattened: each directive with the Match criteria it sits under.
SSHD_CONTEXTS=() SSHD_KEYWORDS=() SSHD_VALUES=()
SELECTED_USERS=() RESOLVED_HOMES=()

# ---------------------------------------------------------------------------------------------
# Output: status lines for people, NUL-separated records for the final JSON line

log() { local text="$*"; printf '%s\n' "${text//[![:print:]]/?}"; }

# NUL terminates each field: it is the one byte no field can contain.
append_record() { local file=$1; shift; printf '%s\0' "$@" >> "$file"; }

# Each distinct warning is reported once (several users may share the cause).
warn() {
  if [[ -n $WORK ]]; then
    ! grep -qzxF -- "$1" "$WORK/warnings" 2>/dev/null || return 0
    append_record "$WORK/warnings" "$1"
  else
    EARLY_WARNINGS+=("$1")
  fi
  log "WARNING: $1"
}

fail() { FAILURE=$1; log "ERROR: $1"; exit "${2:-1}"; }

json_string() {
  local text=$1 out="" char code i
  for ((i = 0; i < ${#text}; i++)); do
    char=${text:i:1}
    if [[ $char == [[:print:]] ]]; then
      [[ $char == [\\\"] ]] && out+=\\
      out+=$char
    else # control characters and bytes >= 0x80 (names and paths are ASCII; this is defensive)
      printf -v code '\\u%04x' "'$char"
      out+=$code
    fi
  done
  printf '"%s"' "$out"
}

json_or_null() { if [[ -n $1 ]]; then json_string "$1"; else printf 'null'; fi; }

RECORD_NAMES=() RECORD_FILES=() RECORD_ACTIONS=() RECORD_REASONS=() RECORD_BLOCKED=()
WARNING_TEXTS=()
read_records() {
  local name file action reason blocked text
  WARNING_TEXTS=("${EARLY_WARNINGS[@]}")
  [[ -n $WORK && -f $WORK/users ]] || return 0
  while IFS= read -r -d '' name && IFS= read -r -d '' file && IFS= read -r -d '' action &&
    IFS= read -r -d '' reason && IFS= read -r -d '' blocked; do
    RECORD_NAMES+=("$name") RECORD_FILES+=("$file") RECORD_ACTIONS+=("$action")
    RECORD_REASONS+=("$reason") RECORD_BLOCKED+=("$blocked")
  done < "$WORK/users"
  while IFS= read -r -d '' text; do WARNING_TEXTS+=("$text"); done < "$WORK/warnings"
}

emit_json() {
  local status=$1 users="" warnings="" i
  for i in "${!RECORD_NAMES[@]}"; do
    users+="${users:+,}{\"name\":$(json_string "${RECORD_NAMES[i]}")"
    users+=",\"file\":$(json_or_null "${RECORD_FILES[i]}")"
    users+=",\"action\":$(json_string "${RECORD_ACTIONS[i]}")"
    users+=",\"reason\":$(json_or_null "${RECORD_REASONS[i]}")}"
  done
  for i in "${!WARNING_TEXTS[@]}"; do warnings+="${warnings:+,}$(json_string "${WARNING_TEXTS[i]}")"; done
  printf '{"status":%s,"device":%s,"filesystem":%s,"users":[%s],"warnings":[%s],"error":%s}\n' \
    "$(json_string "$status")" "$(json_or_null "$DEVICE")" "$(json_or_null "$FILESYSTEM")" \
    "$users" "$warnings" "$(json_or_null "$FAILURE")"
}

# Users that got (or already had) the key and that nothing in the volume stops from logging in.
count_usable_users() {
  local i count=0
  for i in "${!RECORD_NAMES[@]}"; do
    [[ ${RECORD_ACTIONS[i]} != refused && ${RECORD_BLOCKED[i]} == 0 ]] && count=$((count + 1))
  done
  printf '%s' "$count"
}

finish() {
  local status=$1 usable
  usable=$(count_usable_users)
  if [[ -z $FAILURE ]] && ((status != 0)); then FAILURE="failed with status $status"; fi
  if [[ -z $FAILURE ]] && ((usable == 0)); then
    FAILURE="no user can log in with the key"
    ((${#RECORD_NAMES[@]} == 0)) || FAILURE+=": see the refusals and warnings above"
  fi
  if ((${#CLEANUP_PROBLEMS[@]} > 0)); then # the volume may still be in use: the caller must know
    FAILURE="${FAILURE:-the key was added}; cleanup failed: ${CLEANUP_PROBLEMS[*]}"
  fi
  if [[ -z $FAILURE ]]; then
    log "RESULT: ok: $usable user(s) can log in with the key"
    emit_json ok
    exit 0
  fi
  log "RESULT: error: $FAILURE"
  emit_json error
  ((status != 0)) || status=1
  exit "$status"
}

# ---------------------------------------------------------------------------------------------
# Traps and cleanup: whatever was mounted or mapped is undone, in reverse, on every exit

push_cleanup() { CLEANUP_ACTIONS+=("$1"); CLEANUP_TARGETS+=("$2"); }

unmount_with_retries() {
  local target=$1 attempt
  sync -f -- "$target" 2>/dev/null || true
  for attempt in 1 2 3 4 5; do
    umount -- "$target" 2>/dev/null && return 0
    sleep "$attempt"
  done
  CLEANUP_PROBLEMS+=("could not unmount $target")
  return 1
}

run_cleanup() {
  local i action target
  for ((i = ${#CLEANUP_ACTIONS[@]} - 1; i >= 0; i--)); do
    action=${CLEANUP_ACTIONS[i]} target=${CLEANUP_TARGETS[i]}
    case $action in
      umount) unmount_with_retries "$target" ;;
      detach) losetup -d "$target" 2>/dev/null || CLEANUP_PROBLEMS+=("could not detach $target") ;;
      dm) dmsetup remove --retry "$target" >/dev/null 2>&1 ||
        CLEANUP_PROBLEMS+=("could not remove device-mapper device $target") ;;
      rmdir) rmdir -- "$target" 2>/dev/null || true ;;
    esac
  done
  CLEANUP_ACTIONS=() CLEANUP_TARGETS=()
}

# Temporary files left by an interrupted write, and directories created for a key never written.
remove_leftovers() {
  local path
  [[ -n $WORK && -f $WORK/temp-dirs ]] || return 0
  while IFS= read -r -d '' path; do
    rm -f -- "$path"/.reset-ssh-key.?????? 2>/dev/null || true
  done < "$WORK/temp-dirs"
  local -a created=()
  while IFS= read -r -d '' path; do created+=("$path"); done < "$WORK/created-dirs"
  for ((path = ${#created[@]} - 1; path >= 0; path--)); do rmdir -- "${created[path]}" 2>/dev/null || true; done
}

# Never `rm -r`: if an unmount failed, the volume may still be mounted below WORK.
remove_work_dir() {
  [[ -n $WORK && -d $WORK ]] || return 0
  rm -f -- "$WORK"/{users,warnings,temp-dirs,created-dirs,relabel,user-failure,error} 2>/dev/null
  rmdir -- "$WORK" 2>/dev/null || CLEANUP_PROBLEMS+=("could not remove $WORK")
}

on_exit() {
  local status=$?
  set +e
  trap - ERR
  trap '' INT TERM HUP
  remove_leftovers
  read_records
  run_cleanup
  remove_work_dir
  finish "$status"
}

on_error() {
  local status=$1 line=$2 command=$3
  if [[ -n $USER_SHELL_PID && $BASHPID == "$USER_SHELL_PID" ]]; then
    printf '%s' "internal error at line $line: $command (status $status)" > "$WORK/user-failure"
  elif [[ $BASHPID != "$$" ]]; then
    printf 'reset-ssh-key: line %s: %s failed (status %s)\n' "$line" "$command" "$status" >&2
  elif ((!ISOLATING)) && [[ -z $FAILURE ]]; then
    FAILURE="internal error at line $line: $command (status $status)"
  fi
}

on_signal() { FAILURE="interrupted by SIG$1"; log "ERROR: $FAILURE"; exit "$2"; }

trap on_exit EXIT
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

# Runs a command, keeping its error message: on failure ATTEMPT_ERROR says what failed and why.
ATTEMPT_ERROR=""
attempt() {
  local what=$1 message
  shift
  "$@" 2>"$WORK/error" && return 0
  message=$(tail -n 1 -- "$WORK/error" 2>/dev/null) || message=""
  ATTEMPT_ERROR="cannot $what${message:+: ${message##*: }}"
  return 1
}

# ---------------------------------------------------------------------------------------------
# Arguments and the public key

usage() {
  log "usage: reset-ssh-key.sh (--device DEV | --root DIR) --public-key 'KEY' [--users auto|NAME,NAME]"
}

usage_error() { usage; fail "$1" 2; }

parse_arguments() {
  while (($# > 0)); do
    case $1 in
      --device | --root | --public-key | --users)
        (($# >= 2)) || usage_error "$1 needs a value"
        case $1 in
          --device) DEVICE=$2 ;;
          --root) ROOT_ARGUMENT=$2 ;;
          --public-key) PUBLIC_KEY=$2 ;;
          --users) USERS_SPEC=$2 ;;
        esac
        shift 2
        ;;
      -h | --help) usage; trap - EXIT; exit 0 ;;
      --*) usage_error "unknown option ${1%%=*}" ;;
      *) usage_error "unexpected argument (values follow their option)" ;;
    esac
  done
  [[ -n $DEVICE || -n $ROOT_ARGUMENT ]] || usage_error "one of --device and --root is required"
  [[ -z $DEVICE || -z $ROOT_ARGUMENT ]] || usage_error "--device and --root exclude each other"
  [[ -n $PUBLIC_KEY ]] || usage_error "--public-key is required"
  [[ -n $USERS_SPEC ]] || usage_error "--users is empty (use auto or NAME,NAME)"
}

key_error() { fail "public key refused: $1" 2; }

# Reads the next length-prefixed field of the key blob (hex in KEY_HEX) into BLOB_FIELD.
blob_field() {
  local length_hex=${KEY_HEX:BLOB_POSITION*2:8} length
  [[ ${#length_hex} == 8 ]] || return 1
  length=$((16#$length_hex))
  ((length <= 8192)) || return 1
  BLOB_FIELD=${KEY_HEX:BLOB_POSITION*2+8:length*2}
  ((${#BLOB_FIELD} == length * 2)) || return 1
  BLOB_POSITION=$((BLOB_POSITION + 4 + length))
}

ascii_hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# Bits of an SSH mpint given in hex (leading zero bytes do not count).
mpint_bits() {
  local hex=$1 first bits
  while [[ $hex == 00* ]]; do hex=${hex#00}; done
  [[ -n $hex ]] || { printf 0; return; }
  first=$((16#${hex:0:2})) bits=$(((${#hex} / 2 - 1) * 8))
  while ((first > 0)); do bits=$((bits + 1)) first=$((first >> 1)); done
  printf '%s' "$bits"
}

# The blob must hold exactly the key its type names: a label alone proves nothing.
check_key_blob() {
  local curve size bits
  BLOB_POSITION=0
  if ! { blob_field && [[ $BLOB_FIELD == "$(ascii_hex "$KEY_TYPE")" ]]; }; then
    key_error "the key data is not a $KEY_TYPE key"
  fi
  case $KEY_TYPE in
    ssh-ed25519)
      if ! { blob_field && ((${#BLOB_FIELD} == 64)); }; then key_error "malformed ssh-ed25519 key"; fi
      ;;
    ecdsa-sha2-*)
      curve=${KEY_TYPE#ecdsa-sha2-}
      case $curve in nistp256) size=65 ;; nistp384) size=97 ;; *) size=133 ;; esac
      if ! { blob_field && [[ $BLOB_FIELD == "$(ascii_hex "$curve")" ]] && blob_field &&
        ((${#BLOB_FIELD} == size * 2)) && [[ $BLOB_FIELD == 04* ]]; }; then
        key_error "malformed $KEY_TYPE key"
      fi
      ;;
    ssh-rsa)
      if ! { blob_field && blob_field; }; then key_error "malformed ssh-rsa key"; fi
      bits=$(mpint_bits "$BLOB_FIELD")
      ((bits >= 2048)) || key_error "ssh-rsa key of $bits bits: at least 2048 are required"
      ((bits <= 16384)) || key_error "ssh-rsa key of $bits bits: sshd accepts at most 16384"
      ;;
  esac
  ((BLOB_POSITION * 2 == ${#KEY_HEX})) || key_error "unexpected data after the $KEY_TYPE key"
}

key_fingerprint() {
  local digest escaped="" i
  digest=$(printf '%s' "$KEY_BLOB" | base64 -d | sha256sum)
  for ((i = 0; i < 64; i += 2)); do escaped+="\\x${digest:i:2}"; done
  printf 'SHA256:%s' "$(printf '%b' "$escaped" | base64 -w0 | tr -d '=')"
}

# Never echoes the input: someone may paste a private key by mistake.
validate_public_key() {
  local key=$1 comment=""
  key=${key%$'\n'} key=${key%$'\r'}
  [[ $key != *"PRIVATE KEY"* ]] || key_error "this is a private key; pass the public key line (.pub)"
  [[ $key != *$'\n'* && $key != *$'\r'* ]] || key_error "it must be a single line"
  key=${key//$'\t'/ }
  [[ $key != *[[:cntrl:]]* ]] || key_error "it contains control characters"
  read -r KEY_TYPE KEY_BLOB comment <<< "$key"
  case $KEY_TYPE in
    ssh-ed25519 | ecdsa-sha2-nistp256 | ecdsa-sha2-nistp384 | ecdsa-sha2-nistp521 | ssh-rsa) ;;
    *)
      [[ $KEY_TYPE =~ ^[a-z0-9@.-]{1,40}$ ]] || KEY_TYPE="(unrecognised)"
      key_error "key type $KEY_TYPE is not accepted (ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa)"
      ;;
  esac
  if [[ ! $KEY_BLOB =~ ^[A-Za-z0-9+/]+={0,2}$ ]] || ((${#KEY_BLOB} % 4 != 0)); then
    key_error "the key data is not base64"
  fi
  KEY_HEX=$(printf '%s' "$KEY_BLOB" | base64 -d | od -An -v -tx1 | tr -d ' \n') ||
    key_error "the key data is not base64"
  check_key_blob
  KEY_LINE="$KEY_TYPE $KEY_BLOB${comment:+ $comment}"
  log "==> Public key: $KEY_TYPE $(key_fingerprint)${comment:+ ($comment)}"
}

# ---------------------------------------------------------------------------------------------
# Paths inside the volume: resolved as the volume's own kernel would, never outside it

# Turns a volume path into its canonical form (RESOLVED), following the volume's symlinks with
# absolute targets restarting at the volume root. Components that do not exist are kept as
# given. A symlink climbing above the root, a loop, or a file used as a directory fails with
# RESOLVE_ERROR. FIRST_LINK names the first symlink followed ("path -> target").
resolve_in_root() {
  local remaining=$1 current="" component target hops=0 missing=0
  RESOLVED="" RESOLVE_ERROR="" FIRST_LINK=""
  [[ $remaining == /* ]] || { RESOLVE_ERROR="$1 is not an absolute path"; return 1; }
  while [[ -n $remaining ]]; do
    remaining=${remaining#"${remaining%%[!/]*}"}
    [[ -n $remaining ]] || break
    component=${remaining%%/*} remaining=${remaining:${#component}}
    case $component in
      .) continue ;;
      ..)
        ((!missing)) || { RESOLVE_ERROR="$current does not exist"; return 1; }
        [[ -n $current ]] || { RESOLVE_ERROR="${FIRST_LINK:-$1} leads above the volume root"; return 1; }
        current=${current%/*}
        continue
        ;;
    esac
    if ((!missing)) && [[ -L $ROOT$current/$component ]]; then
      ((++hops <= 40)) || { RESOLVE_ERROR="too many symbolic links in $1"; return 1; }
      target=$(readlink -- "$ROOT$current/$component" && printf .) # keeps trailing newlines
      target=${target%.} target=${target%$'\n'}
      [[ -n $FIRST_LINK ]] || FIRST_LINK="$current/$component -> $target"
      [[ $target != /* ]] || current=""
      remaining=$target/$remaining
      continue
    fi
    if ((!missing)) && [[ ! -e $ROOT$current/$component ]]; then missing=1; fi
    if ((!missing)) && [[ -n ${remaining//\//} && ! -d $ROOT$current/$component ]]; then
      RESOLVE_ERROR="$current/$component is not a directory"
      return 1
    fi
    current+=/$component
  done
  RESOLVED=${current:-/}
}

# Reads a regular file of the volume into FILE_LINES; LOAD_ERROR says why it could not.
load_volume_file() {
  local path=$1 size
  FILE_LINES=() LOAD_ERROR=""
  resolve_in_root "$path" || { LOAD_ERROR=$RESOLVE_ERROR; return 1; }
  [[ -e $ROOT$RESOLVED ]] || { LOAD_ERROR="$path does not exist"; return 1; }
  [[ -f $ROOT$RESOLVED ]] || { LOAD_ERROR="$path is not a regular file"; return 1; }
  size=$(stat -c %s -- "$ROOT$RESOLVED")
  ((size <= MAX_FILE_BYTES)) || { LOAD_ERROR="$path is larger than $MAX_FILE_BYTES bytes"; return 1; }
  mapfile -t FILE_LINES < "$ROOT$RESOLVED" 2>/dev/null
}

is_os_root() {
  [[ -L $1/etc/passwd || -f $1/etc/passwd ]] && [[ -L $1/etc/os-release || -f $1/etc/os-release ]]
}

# ---------------------------------------------------------------------------------------------
# The device: partitions, LVM, and the filesystem that holds the OS root

# A device that is mounted or held (device-mapper, md) belongs to someone else: never touch it.
refuse_device_in_use() {
  local device=$1 name mountpoint type
  while read -r name type mountpoint; do
    [[ -z $mountpoint ]] || fail "$name is mounted at $mountpoint: refusing to use a device in use"
    case $type in disk | part | loop) ;; *) fail "$name ($type) sits on $DEVICE: the device is in use \
(an LVM volume group already active on the helper? deactivate it with vgchange -an)" ;; esac
  done < <(lsblk -nrpo NAME,TYPE,MOUNTPOINT -- "$device")
}

# Sets PROBE_* from the signature on a block device (low-level probe, no cache).
probe_block_device() {
  local key value
  PROBE_TYPE="" PROBE_UUID="" PROBE_LABEL=""
  while IFS='=' read -r key value; do
    case $key in
      TYPE) PROBE_TYPE=$value ;;
      UUID) PROBE_UUID=$value ;;
      LABEL) PROBE_LABEL=$value ;;
    esac
  done < <(blkid -p -o export -- "$1" 2>/dev/null || true)
}

# Registers what a block device holds: a filesystem candidate, or the LVs of a physical volume.
add_block_device() {
  local device=$1 name=$2 partuuid=${3:-} lv=${4:-}
  probe_block_device "$device"
  case $PROBE_TYPE in
    ext2 | ext3 | ext4 | xfs | btrfs)
      log "    $name: $PROBE_TYPE"
      CANDIDATE_DEVICES+=("$device") CANDIDATE_TYPES+=("$PROBE_TYPE") CANDIDATE_NAMES+=("$name")
      CANDIDATE_UUIDS+=("$PROBE_UUID") CANDIDATE_LABELS+=("$PROBE_LABEL")
      CANDIDATE_PARTUUIDS+=("$partuuid") CANDIDATE_LVS+=("$lv") CANDIDATE_SUBVOLS+=("")
      ;;
    LVM2_member) log "    $name: LVM physical volume"; add_logical_volumes "$device" "$name" ;;
    "") log "    $name: no filesystem, skipped" ;;
    *) log "    $name: $PROBE_TYPE, skipped" ;;
  esac
}

# Maps bytes [offset, offset+size) of a device to a new loop device (MAPPED_DEVICE).
map_byte_range() {
  MAPPED_DEVICE=$(losetup --find --show --offset "$2" --sizelimit "$3" -- "$1" 2>"$WORK/error") ||
    fail "cannot map $4 with losetup: $(tail -n 1 "$WORK/error")"
  push_cleanup detach "$MAPPED_DEVICE"
}

# The kernel's node for partition NUMBER of a disk, when it exists (/dev/nvme1n1p1).
partition_node() {
  local disk=${1##*/} entry
  for entry in /sys/class/block/"$disk"/"$disk"*/partition; do
    [[ -f $entry && $(<"$entry") == "$2" ]] || continue
    entry=${entry%/partition}
    [[ -b /dev/${entry##*/} ]] && { printf '%s' "/dev/${entry##*/}"; return 0; }
  done
  return 0
}

add_partitions() {
  local device=$1 table number start sectors type partuuid node
  table=$(partx -r -g -o NR,START,SECTORS,TYPE,UUID -- "$device" 2>"$WORK/error") ||
    fail "cannot read the partition table of $DEVICE: $(tail -n 1 "$WORK/error")"
  while read -r number start sectors type partuuid; do
    [[ $number =~ ^[0-9]+$ && $start =~ ^[0-9]+$ && $sectors =~ ^[0-9]+$ ]] || continue
    case ${type,,} in 0x5 | 0xf | 0x85) continue ;; esac # extended: its logical partitions follow
    node=$(partition_node "$device" "$number")
    if [[ -z $node ]]; then # no partition scanning (loop devices): map the partition ourselves
      map_byte_range "$device" $((start * 512)) $((sectors * 512)) "partition $number"
      node=$MAPPED_DEVICE
    fi
    add_block_device "$node" "partition $number ($node)" "$partuuid"
  done <<< "$table"
}

collect_candidates() {
  local device=$1 table_type
  table_type=$(blkid -p -o value -s PTTYPE -- "$device" 2>/dev/null) || table_type=""
  if [[ -n $table_type ]]; then
    log "    $table_type partition table"
    add_partitions "$device"
  else
    add_block_device "$device" "$DEVICE"
  fi
}

# ---------------------------------------------------------------------------------------------
# LVM: logical volumes are mapped without activating the volume group, so a volume group that
# has the same name as one of the helper's (same image lineage) cannot clash with it.

# Prints one line per LV: "vg/lv start_byte length_byte[ start_byte length_byte...]" or a reason.
lvm_extent_map() {
  local pv=$1 pe_start segments vg lv segtype ranges extent_size first last current="" mapping=""
  pe_start=$(lvm pvs --devices "$pv" --readonly --noheadings --nosuffix --units b -o pe_start -- "$pv")
  pe_start=${pe_start//[[:space:]]/}
  [[ $pe_start =~ ^[0-9]+$ ]] || return 1
  segments=$(lvm lvs --devices "$pv" --readonly --noheadings --nosuffix --units b --separator '|' \
    -o vg_name,lv_name,segtype,seg_pe_ranges,vg_extent_size)
  while IFS='|' read -r vg lv segtype ranges extent_size; do
    vg=${vg//[[:space:]]/}
    [[ -n $vg ]] || continue
    if [[ "$vg/$lv" != "$current" ]]; then
      [[ -z $current ]] || printf '%s%s\n' "$current" "$mapping"
      current="$vg/$lv" mapping=""
    fi
    if [[ $segtype != linear || ${ranges%:*} != "$pv" || ! $extent_size =~ ^[0-9]+$ ||
      ! ${ranges##*:} =~ ^([0-9]+)-([0-9]+)$ ]]; then
      mapping=" unsupported:$segtype"
      continue
    fi
    [[ $mapping == " unsupported:"* ]] && continue
    first=${BASH_REMATCH[1]} last=${BASH_REMATCH[2]}
    mapping+=" $((pe_start + first * extent_size)) $(((last - first + 1) * extent_size))"
  done <<< "$segments"
  [[ -z $current ]] || printf '%s%s\n' "$current" "$mapping"
}

# A logical volume made of several extent ranges needs a device-mapper linear table.
map_segmented_volume() {
  local pv=$1 lv=$2 name table="" logical=0
  shift 2
  [[ -c /dev/mapper/control ]] || { MAPPED_DEVICE=""; return 0; }
  name="reset-ssh-key-$$-${#CLEANUP_ACTIONS[@]}"
  while (($# >= 2)); do
    table+="$((logical / 512)) $(($2 / 512)) linear $pv $(($1 / 512))"$'\n'
    logical=$((logical + $2))
    shift 2
  done
  dmsetup create --noudevsync "$name" <<< "$table" 2>"$WORK/error" ||
    fail "cannot map LVM volume $lv with dmsetup: $(tail -n 1 "$WORK/error")"
  push_cleanup dm "$name"
  dmsetup mknodes "$name" 2>/dev/null || true
  MAPPED_DEVICE=/dev/mapper/$name
}

add_logical_volumes() {
  local pv=$1 name=$2 map lv rest
  command -v lvm >/dev/null ||
    { warn "$name is an LVM physical volume but lvm is not installed on the helper (install lvm2)"; return 0; }
  map=$(lvm_extent_map "$pv" 2>"$WORK/error") ||
    { warn "cannot read the LVM metadata on $name: $(tail -n 1 "$WORK/error")"; return 0; }
  while read -r lv rest; do
    [[ -n $lv ]] || continue
    local -a ranges=()
    read -ra ranges <<< "$rest"
    if [[ ${ranges[0]:-} == unsupported:* ]]; then
      log "    logical volume $lv: ${ranges[0]#unsupported:} or spread over other disks, skipped"
      continue
    fi
    if ((${#ranges[@]} == 2)); then
      map_byte_range "$pv" "${ranges[0]}" "${ranges[1]}" "logical volume $lv"
    else
      map_segmented_volume "$pv" "$lv" "${ranges[@]}"
      [[ -n $MAPPED_DEVICE ]] ||
        { log "    logical volume $lv: several segments and no device-mapper, skipped"; continue; }
    fi
    add_block_device "$MAPPED_DEVICE" "logical volume $lv ($MAPPED_DEVICE)" "" "$lv"
  done <<< "$map"
}

# ---------------------------------------------------------------------------------------------
# Mounting: always nosuid,nodev,noexec (the volume's devices and programs are not the helper's)

xfs_uuid_is_mounted() {
  local uuid source
  uuid=$(blkid -p -o value -s UUID -- "$1" 2>/dev/null) || return 1
  [[ -n $uuid ]] || return 1
  while read -r source; do
    [[ -b $source ]] || continue
    [[ $(blkid -p -o value -s UUID -- "$source" 2>/dev/null) == "$uuid" ]] && return 0
  done < <(findmnt -rn -t xfs -o SOURCE)
  return 1
}

# mount_filesystem DEVICE TYPE ro|rw TARGET [SUBVOLUME]; a read-only mount writes nothing at all.
mount_filesystem() {
  local device=$1 type=$2 mode=$3 target=$4 subvolume=${5:-} options=nosuid,nodev,noexec flag=-w
  if [[ $mode == ro ]]; then
    options+=,ro flag=-r
    case $type in ext*) options+=,noload ;; xfs) options+=,norecovery ;; btrfs) options+=,rescue=nologreplay ;; esac
  fi
  if [[ $type == xfs ]] && xfs_uuid_is_mounted "$device"; then
    options+=,nouuid
    [[ $mode == ro ]] || log "    the XFS UUID of $device is already mounted on this helper: using nouuid"
  fi
  [[ -z $subvolume ]] || options+=",subvol=$subvolume"
  attempt "mount $device ($type)" mount "$flag" -t "$type" -o "$options" -- "$device" "$target"
}

# Whether a candidate holds the OS root, at its top or (btrfs) in a top-level subvolume.
probe_candidate() {
  local index=$1 probe=$WORK/probe entry found=1
  mount_filesystem "${CANDIDATE_DEVICES[index]}" "${CANDIDATE_TYPES[index]}" ro "$probe" ||
    { log "    ${CANDIDATE_NAMES[index]}: $ATTEMPT_ERROR"; return 1; }
  if is_os_root "$probe"; then
    found=0
  elif [[ ${CANDIDATE_TYPES[index]} == btrfs ]]; then
    for entry in "$probe"/*; do
      [[ -d $entry && ! -L $entry && ${entry##*/} =~ ^[A-Za-z0-9@._+-]+$ ]] || continue
      is_os_root "$entry" || continue
      CANDIDATE_SUBVOLS[index]=${entry##*/} found=0
      break
    done
  fi
  umount -- "$probe" || fail "cannot unmount the probe of ${CANDIDATE_NAMES[index]}"
  return "$found"
}

choose_root_candidate() {
  local index
  mkdir -m 700 -- "$WORK/probe"
  push_cleanup rmdir "$WORK/probe"
  for index in "${!CANDIDATE_DEVICES[@]}"; do
    probe_candidate "$index" || continue
    if ((ROOT_CANDIDATE < 0)); then
      ROOT_CANDIDATE=$index
    else
      warn "${CANDIDATE_NAMES[index]} also holds an OS root; using ${CANDIDATE_NAMES[ROOT_CANDIDATE]}"
    fi
  done
  ((ROOT_CANDIDATE >= 0)) ||
    fail "no filesystem on $DEVICE holds an OS root (etc/passwd and etc/os-release)"
}

mount_root_read_write() {
  local index=$ROOT_CANDIDATE subvolume=${CANDIDATE_SUBVOLS[ROOT_CANDIDATE]}
  mkdir -m 700 -- "$WORK/root"
  push_cleanup rmdir "$WORK/root"
  mount_filesystem "${CANDIDATE_DEVICES[index]}" "${CANDIDATE_TYPES[index]}" rw "$WORK/root" "$subvolume" ||
    fail "cannot mount the root filesystem read-write: $ATTEMPT_ERROR"
  push_cleanup umount "$WORK/root"
  [[ ,$(findmnt -n -o OPTIONS --mountpoint "$WORK/root"), == *,rw,* ]] ||
    fail "the root filesystem was mounted read-only"
  ROOT=$WORK/root FILESYSTEM=${CANDIDATE_TYPES[index]}
  log "    OS root: ${CANDIDATE_NAMES[index]}${subvolume:+, subvolume $subvolume}, mounted read-write"
}

attach_device() {
  local device
  log "==> Looking for the OS root on $DEVICE"
  device=$(readlink -f -- "$DEVICE") || fail "$DEVICE does not exist"
  [[ -b $device ]] || fail "$DEVICE is not a block device"
  refuse_device_in_use "$device"
  collect_candidates "$device"
  ((${#CANDIDATE_DEVICES[@]} > 0)) || fail "no ext4, XFS or btrfs filesystem found on $DEVICE"
  choose_root_candidate
  mount_root_read_write
}

use_root_directory() {
  local directory
  [[ -d $ROOT_ARGUMENT ]] || fail "$ROOT_ARGUMENT is not a directory"
  directory=$(readlink -f -- "$ROOT_ARGUMENT")
  is_os_root "$directory" || fail "$ROOT_ARGUMENT does not hold an OS root (etc/passwd and etc/os-release)"
  ROOT=${directory%/}
  FILESYSTEM=$(findmnt -n -o FSTYPE --target "$directory" 2>/dev/null) || FILESYSTEM=""
  log "==> Using the root directory $directory ($FILESYSTEM)"
}

# ---------------------------------------------------------------------------------------------
# Separate filesystems for home directories (/home on its own partition, LV or btrfs subvolume):
# keys written below an unmounted mount point would be hidden at boot.

# The candidate an fstab source names (UUID=, LABEL=, PARTUUID=, /dev/disk/by-*, LVM paths).
find_candidate_for_source() {
  local source=${1//\"/} index field value
  case $source in
    UUID=* | LABEL=* | PARTUUID=*) field=${source%%=*} value=${source#*=} ;;
    /dev/disk/by-uuid/*) field=UUID value=${source##*/} ;;
    /dev/disk/by-label/*) field=LABEL value=${source##*/} ;;
    /dev/disk/by-partuuid/*) field=PARTUUID value=${source##*/} ;;
    /dev/mapper/*) field=MAPPER value=${source#/dev/mapper/} ;;
    /dev/*/*) field=LV value=${source#/dev/} ;;
    *) return 1 ;;
  esac
  for index in "${!CANDIDATE_DEVICES[@]}"; do
    case $field in
      UUID) [[ ${CANDIDATE_UUIDS[index],,} == "${value,,}" ]] ;;
      LABEL) [[ ${CANDIDATE_LABELS[index]} == "$value" ]] ;;
      PARTUUID) [[ -n $value && ${CANDIDATE_PARTUUIDS[index],,} == "${value,,}" ]] ;;
      LV) [[ ${CANDIDATE_LVS[index]} == "$value" ]] ;;
      MAPPER) [[ -n ${CANDIDATE_LVS[index]} && $(mapper_name "${CANDIDATE_LVS[index]}") == "$value" ]] ;;
    esac && { FOUND_CANDIDATE=$index; return 0; }
  done
  return 1
}

mapper_name() { local vg=${1%%/*} lv=${1#*/}; printf '%s-%s' "${vg//-/--}" "${lv//-/--}"; }

mount_point_matters() {
  local mountpoint=$1 home
  for home in "${USER_HOMES[@]}" "${RESOLVED_HOMES[@]}"; do
    [[ $home == "$mountpoint" || $home == "$mountpoint"/* ]] && return 0
  done
  return 1
}

unavailable() { UNAVAILABLE_MOUNTS[$1]=$2; log "    $1: $2"; }

mount_fstab_entry() {
  local source=$1 mountpoint=$2 type=$3 options=$4 subvolume=""
  [[ ,$options, != *,noauto,* ]] || return 0
  [[ ,$options, != *,bind,* && ,$options, != *,rbind,* ]] || { unavailable "$mountpoint" "bind mount"; return 0; }
  case $type in ext2 | ext3 | ext4 | xfs | btrfs | auto) ;; *) unavailable "$mountpoint" "$type filesystem"; return 0 ;; esac
  find_candidate_for_source "$source" || { unavailable "$mountpoint" "$source is not on this volume"; return 0; }
  [[ ,$options, =~ ,subvol=/?([A-Za-z0-9@._+/-]+), ]] && subvolume=${BASH_REMATCH[1]}
  if ((FOUND_CANDIDATE == ROOT_CANDIDATE)) && [[ -z $subvolume ]]; then return 0; fi
  if ! resolve_in_root "$mountpoint" || [[ ! -d $ROOT$RESOLVED ]]; then
    unavailable "$mountpoint" "mount point missing on the root filesystem"
    return 0
  fi
  mount_filesystem "${CANDIDATE_DEVICES[FOUND_CANDIDATE]}" "${CANDIDATE_TYPES[FOUND_CANDIDATE]}" rw \
    "$ROOT$RESOLVED" "$subvolume" || { unavailable "$mountpoint" "$ATTEMPT_ERROR"; return 0; }
  push_cleanup umount "$ROOT$RESOLVED"
  log "    mounted ${CANDIDATE_NAMES[FOUND_CANDIDATE]}${subvolume:+ (subvolume $subvolume)} at $mountpoint"
}

mount_home_filesystems() {
  local line source mountpoint type options rest home
  RESOLVED_HOMES=()
  for home in "${USER_HOMES[@]}"; do resolve_in_root "$home" && RESOLVED_HOMES+=("$RESOLVED"); done
  load_volume_file /etc/fstab || return 0
  local -a entries=()
  for line in "${FILE_LINES[@]}"; do
    read -r source mountpoint type options rest <<< "$line"
    [[ -n $source && $source != \#* && $mountpoint == /?* && $mountpoint != *\\* ]] || continue
    mount_point_matters "${mountpoint%/}" || continue
    entries+=("$(printf '%04d\t%s\t%s\t%s\t%s' "${#mountpoint}" "$source" "${mountpoint%/}" "$type" "${options:-defaults}")")
  done
  ((${#entries[@]} > 0)) || return 0
  log "==> Filesystems the volume mounts over home directories"
  while IFS=$'\t' read -r _ source mountpoint type options; do
    mount_fstab_entry "$source" "$mountpoint" "$type" "$options"
  done < <(printf '%s\n' "${entries[@]}" | sort)
}

# ---------------------------------------------------------------------------------------------
# Accounts of the volume: its own /etc/passwd, /etc/group and /etc/shadow, never the helper's

valid_user_name() { [[ $1 =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$ || $1 =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}\$$ ]]; }

valid_home() {
  [[ $1 =~ ^/[A-Za-z0-9._@+/-]*$ && ${#1} -le 1024 && /$1/ != */../* && /$1/ != */./* ]]
}

# Paths from sshd_config are never executed or spliced into code: printable and no dot-dot.
valid_keys_path() {
  [[ $1 == /* && $1 != *[![:print:]]* && ${#1} -le 1024 && /$1/ != */../* && /$1/ != */./* ]]
}

# Why a passwd line is unusable, or nothing when it is fine.
passwd_line_problem() {
  local name=$1 uid=$2 gid=$3 home=$4 fields=$5
  ((fields == 7)) || { printf 'it has %s fields instead of 7' "$fields"; return; }
  valid_user_name "$name" || { printf 'invalid user name'; return; }
  if [[ ! $uid =~ ^[0-9]{1,10}$ || ! $gid =~ ^[0-9]{1,10}$ ]] || ((10#$uid >= 4294967295 || 10#$gid >= 4294967295)); then
    printf 'invalid uid or gid'
    return
  fi
  valid_home "$home" || printf 'invalid home directory'
}

load_passwd() {
  local line number=0 name uid gid home shell colons problem ignored=0
  load_volume_file /etc/passwd || fail "cannot read the volume's /etc/passwd: $LOAD_ERROR"
  for line in "${FILE_LINES[@]}"; do
    number=$((number + 1))
    [[ -n $line && $line != \#* && $line != [+-]* ]] || continue
    colons=${line//[!:]/}
    IFS=: read -r name _ uid gid _ home shell _ <<< "$line"
    problem=$(passwd_line_problem "$name" "$uid" "$gid" "$home" $((${#colons} + 1)))
    if [[ -n $problem ]]; then
      ignored=$((ignored + 1))
      ((ignored > 5)) || warn "/etc/passwd line $number ignored: $problem"
      continue
    fi
    [[ -z ${USER_INDEX[$name]+set} ]] || continue # the first entry wins, as for getpwnam
    USER_INDEX[$name]=${#USER_NAMES[@]}
    USER_NAMES+=("$name") USER_UIDS+=("$((10#$uid))") USER_GIDS+=("$((10#$gid))")
    [[ $home == / ]] || home=${home%/}
    USER_HOMES+=("$home") USER_SHELLS+=("$shell")
  done
  ((ignored <= 5)) || warn "/etc/passwd: $ignored lines ignored in all"
  ((${#USER_NAMES[@]} > 0)) || fail "the volume's /etc/passwd has no valid entry"
}

load_groups_and_shadow() {
  local line
  if load_volume_file /etc/group; then GROUP_LINES=("${FILE_LINES[@]}"); fi
  if load_volume_file /etc/shadow; then
    for line in "${FILE_LINES[@]}"; do
      [[ $line == *:* ]] && valid_user_name "${line%%:*}" && SHADOW_LINES[${line%%:*}]=$line
    done
  fi
  return 0
}

# Names of the groups a user is in: the primary group and every group listing the user.
user_groups() {
  local name=$1 gid=$2 line group members
  USER_GROUP_NAMES=()
  for line in "${GROUP_LINES[@]}"; do
    IFS=: read -r group _ line_gid members <<< "$line"
    if [[ $line_gid == "$gid" || ,$members, == *,"$name",* ]]; then USER_GROUP_NAMES+=("$group"); fi
  done
}

read_selinux_mode() {
  local line mode=""
  if load_volume_file /etc/selinux/config; then
    for line in "${FILE_LINES[@]}"; do [[ $line =~ ^[[:space:]]*SELINUX=([a-z]+) ]] && mode=${BASH_REMATCH[1]}; done
  fi
  case $mode in enforcing | permissive) VOLUME_SELINUX=1 ;; *) VOLUME_SELINUX=0 ;; esac
  log "    SELinux on the volume: ${mode:-not configured}"
}

# ---------------------------------------------------------------------------------------------
# sshd configuration of the volume: every directive, with the Match criteria it is under

# Splits sshd arguments into ARGUMENTS, honouring double quotes as sshd does.
split_arguments() {
  local rest=$1 token
  ARGUMENTS=()
  while :; do
    rest=${rest#"${rest%%[![:space:]]*}"}
    [[ -n $rest ]] || return 0
    if [[ $rest == \"* ]]; then
      rest=${rest:1}
      [[ $rest == *\"* ]] || return 1
      token=${rest%%\"*} rest=${rest#*\"}
    else
      token=${rest%%[[:space:]]*} rest=${rest:${#token}}
    fi
    ARGUMENTS+=("$token")
  done
}

load_sshd_file() {
  local path=$1 context=$2 depth=$3 line keyword value
  ((depth <= 16)) || { warn "sshd_config: Include nested too deeply at $path"; return 0; }
  load_volume_file "$path" || {
    [[ $LOAD_ERROR == *"does not exist" ]] || warn "sshd_config: cannot read $path: $LOAD_ERROR"
    return 0
  }
  local -a lines=("${FILE_LINES[@]}")
  for line in "${lines[@]}"; do
    line=${line#"${line%%[![:space:]]*}"}
    [[ -n $line && $line != \#* ]] || continue
    keyword=${line%%[[:space:]=]*} value=${line:${#keyword}}
    value=${value#"${value%%[![:space:]]*}"} value=${value#=}
    value=${value#"${value%%[![:space:]]*}"} value=${value%"${value##*[![:space:]]}"}
    case ${keyword,,} in
      match) context=$value ;; # "Match all" is still a Match block: it overrides global lines
      include) include_sshd_files "$value" "$context" "$depth" ;;
      *) SSHD_CONTEXTS+=("$context") SSHD_KEYWORDS+=("${keyword,,}") SSHD_VALUES+=("$value") ;;
    esac
  done
}

# Glob characters are honoured in the last component only: the directory is resolved inside the
# volume first, so a pattern can never list the helper's own files.
include_sshd_files() {
  local value=$1 context=$2 depth=$3 pattern directory base match
  split_arguments "$value" || { warn "sshd_config: unterminated quote in Include $value"; return 0; }
  local -a patterns=("${ARGUMENTS[@]}")
  for pattern in "${patterns[@]}"; do
    [[ $pattern == /* ]] || pattern=/etc/ssh/$pattern
    directory=${pattern%/*} base=${pattern##*/}
    if [[ $directory == *[][*?]* ]]; then warn "sshd_config: Include $pattern not followed (wildcard directory)"; continue; fi
    if ! resolve_in_root "${directory:-/}" || [[ ! -d $ROOT$RESOLVED ]]; then continue; fi
    directory=${RESOLVED%/}
    if [[ $base != *[][*?]* ]]; then load_sshd_file "$directory/$base" "$context" $((depth + 1)); continue; fi
    while IFS= read -r match; do
      load_sshd_file "$directory/${match##*/}" "$context" $((depth + 1))
    done < <(cd -- "$ROOT${directory:-/}" && { compgen -G "$base" || true; } | sort)
  done
}

load_sshd_config() {
  if ! load_volume_file /etc/ssh/sshd_config; then
    warn "no readable /etc/ssh/sshd_config on the volume ($LOAD_ERROR): sshd defaults assumed"
    return 0
  fi
  load_sshd_file /etc/ssh/sshd_config "" 0
}

# sshd patterns: * and ? are wildcards, everything else is literal.
wildcard_match() {
  local value=$1 pattern=$2 regex="^" char i
  for ((i = 0; i < ${#pattern}; i++)); do
    char=${pattern:i:1}
    case $char in
      '*') regex+='.*' ;;
      '?') regex+='.' ;;
      [[:alnum:]]) regex+=$char ;;
      "\\" | '^') regex+="\\$char" ;;
      *) regex+="[$char]" ;;
    esac
  done
  regex+='$'
  [[ $value =~ $regex ]]
}

# sshd pattern lists: comma-separated, "!" negates; a negated match wins.
match_pattern_list() {
  local value=$1 pattern negated found=1
  local -a patterns
  IFS=, read -ra patterns <<< "$2"
  for pattern in "${patterns[@]}"; do
    negated=0
    [[ $pattern != \!* ]] || negated=1 pattern=${pattern:1}
    if wildcard_match "$value" "$pattern"; then ((negated)) && return 1; found=0; fi
  done
  return "$found"
}

any_group_matches() {
  local group
  for group in "${USER_GROUP_NAMES[@]}"; do match_pattern_list "$group" "$1" && return 0; done
  return 1
}

# Whether Match criteria apply to the user: 0 yes, 1 no, 2 unknown offline (Address, Host...).
context_applies() {
  local context=$1 name=$2 index unknown=0
  [[ -n $context ]] || return 0
  split_arguments "$context" || return 2
  local -a criteria=("${ARGUMENTS[@]}")
  for ((index = 0; index < ${#criteria[@]}; index += 2)); do
    case ${criteria[index],,} in
      all) index=$((index - 1)) ;;
      user) match_pattern_list "$name" "${criteria[index + 1]:-}" || return 1 ;;
      group) any_group_matches "${criteria[index + 1]:-}" || return 1 ;;
      *) unknown=1 ;;
    esac
  done
  return $((unknown ? 2 : 0))
}

# Indexes of the directives for KEYWORD that apply to the user, as sshd applies them: those in
# matching Match blocks replace the global ones. Sets APPLICABLE.
applicable_directives() {
  local name=$1 keyword=$2 index applies
  local -a global=() matched=()
  for index in "${!SSHD_KEYWORDS[@]}"; do
    [[ ${SSHD_KEYWORDS[index]} == "$keyword" ]] || continue
    if [[ -z ${SSHD_CONTEXTS[index]} ]]; then global+=("$index"); continue; fi
    applies=0
    context_applies "${SSHD_CONTEXTS[index]}" "$name" || applies=$?
    if ((applies == 2)); then
      warn "$name: sshd_config sets $keyword under 'Match ${SSHD_CONTEXTS[index]}', which cannot be evaluated offline"
    fi
    ((applies != 0)) || matched+=("$index")
  done
  if ((${#matched[@]} > 0)); then APPLICABLE=("${matched[@]}"); else APPLICABLE=("${global[@]}"); fi
}

# The value sshd uses for KEYWORD for the user (the first one obtained), in SETTING.
sshd_setting() {
  SETTING=$3
  applicable_directives "$1" "$2"
  ((${#APPLICABLE[@]} == 0)) || SETTING=${SSHD_VALUES[APPLICABLE[0]]}
}

# Every value of an accumulating keyword (AllowUsers...) for the user, in SETTINGS.
sshd_settings() {
  local index
  SETTINGS=()
  applicable_directives "$1" "$2"
  for index in "${APPLICABLE[@]}"; do
    split_arguments "${SSHD_VALUES[index]}" && SETTINGS+=("${ARGUMENTS[@]}")
  done
  return 0
}

# ---------------------------------------------------------------------------------------------
# Keys files of a user: AuthorizedKeysFile with %h, %u, %U and %% expanded

expand_tokens() {
  local token=$1 name=$2 uid=$3 home=$4 out="" char i
  for ((i = 0; i < ${#token}; i++)); do
    char=${token:i:1}
    if [[ $char != % ]]; then out+=$char; continue; fi
    i=$((i + 1))
    case ${token:i:1} in
      %) out+=% ;;
      h) out+=$home ;;
      u) out+=$name ;;
      U) out+=$uid ;;
      *) EXPANSION_ERROR="AuthorizedKeysFile token %${token:i:1} is not supported"; return 1 ;;
    esac
  done
  [[ $out == /* ]] || out=$home/$out
  valid_keys_path "$out" || { EXPANSION_ERROR="AuthorizedKeysFile $token gives an unusable path"; return 1; }
  EXPANDED=$out
}

# KEY_FILES: the files sshd reads for the user, in order; KEYS_ERROR when there are none.
keys_files_for_user() {
  local index=$1 name=${USER_NAMES[$1]} token
  KEY_FILES=() KEYS_ERROR=""
  user_groups "$name" "${USER_GIDS[index]}"
  sshd_setting "$name" authorizedkeysfile "$DEFAULT_KEYS_FILES"
  split_arguments "$SETTING" || { KEYS_ERROR="AuthorizedKeysFile has an unterminated quote"; return 1; }
  for token in "${ARGUMENTS[@]}"; do
    [[ ${token,,} != none ]] || continue
    expand_tokens "$token" "$name" "${USER_UIDS[index]}" "${USER_HOMES[index]}" ||
      { KEYS_ERROR=$EXPANSION_ERROR; return 1; }
    KEY_FILES+=("$EXPANDED")
  done
  ((${#KEY_FILES[@]} > 0)) || { KEYS_ERROR="AuthorizedKeysFile is none: sshd reads no keys file"; return 1; }
}

# Where a keys file really is (TARGET_REAL), if writing there is acceptable. In the home, a
# symlink may lead elsewhere in the same home only; outside it, no symlink is followed at all.
locate_keys_file() {
  local file=$1 home_real=$2
  if [[ $file == "$HOME_PATH"/* ]]; then
    resolve_in_root "$home_real${file#"$HOME_PATH"}" || { LOCATE_ERROR="$file: $RESOLVE_ERROR"; return 1; }
    [[ $RESOLVED == "$home_real"/* ]] || {
      LOCATE_ERROR="$file leads outside the home of $USER_NAME to $RESOLVED (${FIRST_LINK:-symlink})"
      return 1
    }
    UNDER_HOME=1
  else
    resolve_in_root "$file" || { LOCATE_ERROR="$file: $RESOLVE_ERROR"; return 1; }
    [[ -z $FIRST_LINK ]] || { LOCATE_ERROR="$file goes through a symlink ($FIRST_LINK)"; return 1; }
    UNDER_HOME=0
  fi
  TARGET_REAL=$RESOLVED
  [[ -e $ROOT$TARGET_REAL ]] || return 0
  [[ ! -d $ROOT$TARGET_REAL ]] || { LOCATE_ERROR="$file is a directory"; return 1; }
  [[ -f $ROOT$TARGET_REAL ]] || { LOCATE_ERROR="$file is not a regular file"; return 1; }
  local links
  links=$(stat -c %h -- "$ROOT$TARGET_REAL")
  ((links == 1)) || { LOCATE_ERROR="$file has $links hard links (it could be another file, such as etc/shadow)"; return 1; }
}

# Whether a keys file already authorizes the key (a commented-out line does not).
file_has_key() {
  local line
  local -a words
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    [[ $line != *"$KEY_BLOB"* || $line =~ ^[[:space:]]*# ]] && continue
    read -ra words <<< "$line"
    [[ " ${words[*]} " == *" $KEY_BLOB "* ]] || continue
    [[ ${words[0]} == "$KEY_TYPE" ]] || warn "$USER_NAME: the key is already in $2 with options (${words[0]:0:60}), which may restrict the login"
    return 0
  done < "$1"
  return 1
}

# ---------------------------------------------------------------------------------------------
# SELinux labels: kept on replaced files, ssh_home_t on new ones when the volume uses SELinux

read_selinux_label() {
  local value
  if command -v getfattr >/dev/null; then
    value=$(getfattr -h --only-values -n security.selinux -- "$1" 2>/dev/null | tr -d '\0') || value=""
  else
    value=$(stat -c %C -- "$1" 2>/dev/null) || value=""
  fi
  [[ $value =~ ^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_.]*(:[A-Za-z0-9_.:,-]+)?$ ]] || value=""
  printf '%s' "$value"
}

write_selinux_label() {
  if command -v setfattr >/dev/null; then setfattr -h -n security.selinux -v "$2" -- "$1"
  else chcon -h -- "$2" "$1"; fi
}

schedule_relabel() { append_record "$WORK/relabel" "$1"; }

# The label restorecon gives ~/.ssh: ssh_home_t, with the SELinux user and level of the home.
ssh_home_label() {
  local home_label user=system_u level=s0
  home_label=$(read_selinux_label "$ROOT$1")
  if [[ -n $home_label ]]; then
    user=${home_label%%:*}
    IFS=: read -r _ _ _ level <<< "$home_label"
    [[ -n $level ]] || level=s0
  fi
  printf '%s:object_r:ssh_home_t:%s' "$user" "$level"
}

label_new_object() {
  local path=$1
  ((VOLUME_SELINUX)) || return 0
  if ((!UNDER_HOME)); then schedule_relabel "$path was created outside a home directory"; return 0; fi
  write_selinux_label "$ROOT$path" "$(ssh_home_label "$HOME_REAL")" 2>/dev/null ||
    schedule_relabel "the SELinux label of $path could not be set"
}

copy_selinux_label() {
  local label
  label=$(read_selinux_label "$1")
  [[ -n $label ]] || return 0
  write_selinux_label "$2" "$label" 2>/dev/null || schedule_relabel "the SELinux label of $3 could not be kept"
}

create_autorelabel() {
  local temporary
  temporary=$(mktemp -- "$ROOT/.reset-ssh-key.XXXXXX" 2>/dev/null) && chmod 644 -- "$temporary" &&
    mv -T -f -- "$temporary" "$ROOT/.autorelabel"
}

# Creates /.autorelabel so the volume's own restorecon fixes labels at next boot.
apply_scheduled_relabel() {
  local reason
  [[ -s $WORK/relabel ]] || return 0
  IFS= read -r -d '' reason < "$WORK/relabel" || true
  if [[ -L $ROOT/.autorelabel || (-e $ROOT/.autorelabel && ! -f $ROOT/.autorelabel) ]]; then
    warn "SELinux relabel needed ($reason) but /.autorelabel is not a regular file: run restorecon -R on the instance"
    return 0
  fi
  if [[ ! -e $ROOT/.autorelabel ]] && ! create_autorelabel; then
    warn "SELinux relabel needed ($reason) but /.autorelabel could not be created: run restorecon -R on the instance"
    return 0
  fi
  warn "SELinux relabel scheduled for the next boot ($reason): the first boot takes longer and reboots once"
}

# ---------------------------------------------------------------------------------------------
# Writing: temporary file in the same directory, fsync, rename; owner, mode and label kept

make_temp_file() {
  append_record "$WORK/temp-dirs" "$ROOT$1"
  TEMP_FILE=$(mktemp -- "$ROOT$1/.reset-ssh-key.XXXXXX" 2>"$WORK/error") && return 0
  ATTEMPT_ERROR=$(tail -n 1 "$WORK/error")
  ATTEMPT_ERROR="cannot create a file in $1: ${ATTEMPT_ERROR##*: }"
  return 1
}

copy_content() { cat -- "$1" > "$2"; }
append_line() { printf '%s\n' "$2" >> "$1"; }
ends_without_newline() { [[ -s $1 && $(tail -c 1 -- "$1" | od -An -tx1) != *0a* ]]; }

# Directories between the home (or /) and the keys file that do not exist yet.
create_directories() {
  local base=${1%/} owner=$2 mode=$3 path=${1%/} relative component
  local -a parts
  relative=${TARGET_REAL%/*} relative=${relative#"$base"}
  IFS=/ read -ra parts <<< "${relative#/}"
  for component in "${parts[@]}"; do
    path+=/$component
    [[ ! -d $ROOT$path ]] || continue
    append_record "$WORK/created-dirs" "$ROOT$path"
    attempt "create $path" mkdir -m "$mode" -- "$ROOT$path" || return 1
    attempt "set the owner of $path" chown -h -- "$owner" "$ROOT$path" || return 1
    label_new_object "$path"
  done
}

append_key_to_file() {
  local file=$1 shown=$2 directory=${1%/*} owner mode
  make_temp_file "$directory" || return 1
  read -r owner mode < <(stat -c '%u:%g %a' -- "$ROOT$file")
  attempt "copy $shown" copy_content "$ROOT$file" "$TEMP_FILE" || return 1
  if ends_without_newline "$ROOT$file"; then attempt "write $shown" append_line "$TEMP_FILE" "" || return 1; fi
  attempt "write $shown" append_line "$TEMP_FILE" "$KEY_LINE" || return 1
  attempt "set the owner of $shown" chown -h -- "$owner" "$TEMP_FILE" || return 1
  attempt "set the mode of $shown" chmod -- "$mode" "$TEMP_FILE" || return 1
  copy_selinux_label "$ROOT$file" "$TEMP_FILE" "$shown"
  attempt "write $shown to disk" sync -- "$TEMP_FILE" || return 1
  attempt "replace $shown" mv -T -f -- "$TEMP_FILE" "$ROOT$file" || return 1
  sync -- "$ROOT$directory" 2>/dev/null || true
}

create_key_file() {
  local file=$1 shown=$2 owner=$3 directory=${1%/*}
  make_temp_file "$directory" || return 1
  attempt "write $shown" append_line "$TEMP_FILE" "$KEY_LINE" || return 1
  attempt "set the owner of $shown" chown -h -- "$owner" "$TEMP_FILE" || return 1
  attempt "set the mode of $shown" chmod 600 -- "$TEMP_FILE" || return 1
  ((!VOLUME_SELINUX)) || write_selinux_label "$TEMP_FILE" "$(ssh_home_label "$HOME_REAL")" 2>/dev/null ||
    schedule_relabel "the SELinux label of $shown could not be set"
  ((!VOLUME_SELINUX || UNDER_HOME)) || schedule_relabel "$shown was created outside a home directory"
  attempt "write $shown to disk" sync -- "$TEMP_FILE" || return 1
  attempt "create $shown" mv -T -f -- "$TEMP_FILE" "$ROOT$file" || return 1
  sync -- "$ROOT$directory" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# What would still stop the login (each sets USER_BLOCKED and warns)

blocker() { USER_BLOCKED=1; warn "$USER_NAME: $1"; }

check_sshd_access() {
  local name=$USER_NAME pattern
  sshd_setting "$name" pubkeyauthentication yes
  [[ ${SETTING,,} != no ]] || blocker "PubkeyAuthentication is no in the volume's sshd configuration"
  if [[ $name == root ]]; then
    sshd_setting root permitrootlogin prohibit-password
    case ${SETTING,,} in no | forced-commands-only) blocker "PermitRootLogin is $SETTING" ;; esac
  fi
  sshd_settings "$name" denyusers
  for pattern in "${SETTINGS[@]}"; do
    wildcard_match "$name" "${pattern%%@*}" || continue
    if [[ $pattern == *@* ]]; then warn "$name: DenyUsers $pattern denies some client addresses"; else blocker "DenyUsers $pattern excludes the user"; fi
  done
  sshd_settings "$name" allowusers
  if ((${#SETTINGS[@]} > 0)); then
    local allowed=0
    for pattern in "${SETTINGS[@]}"; do wildcard_match "$name" "${pattern%%@*}" && allowed=1; done
    ((allowed)) || blocker "AllowUsers (${SETTINGS[*]}) does not include the user"
  fi
  sshd_settings "$name" denygroups
  for pattern in "${SETTINGS[@]}"; do any_group_matches "$pattern" && blocker "DenyGroups $pattern excludes the user"; done
  sshd_settings "$name" allowgroups
  if ((${#SETTINGS[@]} > 0)); then
    local member=0
    for pattern in "${SETTINGS[@]}"; do any_group_matches "$pattern" && member=1; done
    ((member)) || blocker "AllowGroups (${SETTINGS[*]}) does not include any group of the user"
  fi
  return 0
}

# StrictModes: the keys file and each directory up to the home must belong to the user or root
# and must not be writable by group or others (what sshd's secure path check requires).
check_strict_modes() {
  local uid=$1 path=$TARGET_REAL owner mode
  sshd_setting "$USER_NAME" strictmodes yes
  [[ ${SETTING,,} != no ]] || return 0
  while :; do
    read -r owner mode < <(stat -c '%u %a' -- "$ROOT$path" 2>/dev/null) || return 0
    if [[ $owner != 0 && $owner != "$uid" ]] || (((8#$mode & 8#022) != 0)); then
      blocker "StrictModes: $path (owner uid $owner, mode $mode) must belong to the user or root and not be writable by group or others"
    fi
    [[ $path != "$HOME_REAL" && $path != / ]] || return 0
    path=${path%/*} path=${path:-/}
  done
}

check_account() {
  local index=$1 shell=${USER_SHELLS[$1]} shadow password expire today
  case ${shell##*/} in nologin | false) blocker "the login shell is $shell" ;; esac
  shadow=${SHADOW_LINES[$USER_NAME]:-}
  [[ -n $shadow ]] || return 0
  IFS=: read -r _ password _ _ _ _ _ expire _ <<< "$shadow"
  today=$(($(date +%s) / 86400))
  if [[ $expire =~ ^[0-9]+$ ]] && ((10#$expire <= today)); then
    blocker "the account expired on $(date -u -d "@$((10#$expire * 86400))" +%F)"
  fi
  sshd_setting "$USER_NAME" usepam no
  if [[ ${SETTING,,} != yes && $password == \!* ]]; then
    blocker "the account is locked (password starts with !) and sshd does not use PAM"
  fi
}

# ---------------------------------------------------------------------------------------------
# Serving one user (in a subshell: a failure is that user's refusal, the others are still served)

record_user() { append_record "$WORK/users" "$USER_NAME" "$1" "$2" "$3" "$4"; }

refuse_user() {
  log "REFUSED $USER_NAME: $1"
  record_user "${SHOWN_FILE:-}" refused "$1" 1
  exit 0
}

under_unavailable_mount() {
  local mountpoint
  for mountpoint in "${!UNAVAILABLE_MOUNTS[@]}"; do
    [[ $1 == "$mountpoint" || $1 == "$mountpoint"/* ]] || continue
    UNAVAILABLE_REASON="$mountpoint is a separate filesystem not mounted here (${UNAVAILABLE_MOUNTS[$mountpoint]})"
    return 0
  done
  return 1
}

# HOME_REAL: the home directory, which must exist on the volume and be a home.
locate_home() {
  resolve_in_root "$HOME_PATH" || refuse_user "home $HOME_PATH: $RESOLVE_ERROR"
  HOME_REAL=$RESOLVED
  ! under_unavailable_mount "$HOME_REAL" || refuse_user "home $HOME_PATH: $UNAVAILABLE_REASON"
  [[ -d $ROOT$HOME_REAL ]] || refuse_user "home directory $HOME_PATH does not exist on the volume"
  [[ $SYSTEM_DIRS != *" $HOME_REAL "* ]] || refuse_user "home $HOME_PATH is the system directory $HOME_REAL"
}

# Sets ACTION to present when any keys file of the user (safely located) has the key already.
find_existing_key() {
  local file
  for file in "${KEY_FILES[@]}"; do
    locate_keys_file "$file" "$HOME_REAL" || continue
    [[ -f $ROOT$TARGET_REAL ]] || continue
    file_has_key "$ROOT$TARGET_REAL" "$file" || continue
    SHOWN_FILE=$file ACTION=present
    return 0
  done
  return 1
}

install_key() {
  local index=$1 owner="${USER_UIDS[$1]}:${USER_GIDS[$1]}"
  SHOWN_FILE=${KEY_FILES[0]}
  locate_keys_file "$SHOWN_FILE" "$HOME_REAL" || refuse_user "$LOCATE_ERROR"
  ! under_unavailable_mount "$TARGET_REAL" || refuse_user "$SHOWN_FILE: $UNAVAILABLE_REASON"
  if ((UNDER_HOME)); then
    create_directories "$HOME_REAL" "$owner" 700 || refuse_user "$ATTEMPT_ERROR"
  else
    create_directories / 0:0 755 || refuse_user "$ATTEMPT_ERROR"
  fi
  if [[ -e $ROOT$TARGET_REAL ]]; then
    append_key_to_file "$TARGET_REAL" "$SHOWN_FILE" || refuse_user "$ATTEMPT_ERROR"
    ACTION=appended
  else
    create_key_file "$TARGET_REAL" "$SHOWN_FILE" "$owner" || refuse_user "$ATTEMPT_ERROR"
    ACTION=created
  fi
  file_has_key "$ROOT$TARGET_REAL" "$SHOWN_FILE" || refuse_user "the key is not in $SHOWN_FILE after writing it"
}

serve_user() {
  local index=${USER_INDEX[$1]}
  USER_NAME=$1 HOME_PATH=${USER_HOMES[index]} SHOWN_FILE="" USER_BLOCKED=0
  USER_SHELL_PID=$BASHPID
  locate_home
  keys_files_for_user "$index" || refuse_user "$KEYS_ERROR"
  if ! find_existing_key; then install_key "$index"; fi
  check_sshd_access
  check_strict_modes "${USER_UIDS[index]}"
  check_account "$index"
  log "$(printf '%-8s' "${ACTION^^}") $USER_NAME: $SHOWN_FILE"
  record_user "$SHOWN_FILE" "$ACTION" "" "$USER_BLOCKED"
}

# Runs serve_user in a subshell where errexit works (it would not under `if` or `||`).
serve_isolated() {
  local before status
  before=$(stat -c %s -- "$WORK/users")
  rm -f -- "$WORK/user-failure"
  ISOLATING=1
  set +e
  (set -e; serve_user "$1")
  status=$?
  set -e
  ISOLATING=0
  ((status < 128)) || exit "$status" # killed by a signal: the run is interrupted
  [[ $(stat -c %s -- "$WORK/users") == "$before" ]] || return 0
  USER_NAME=$1 SHOWN_FILE=""
  log "REFUSED $1: $(cat -- "$WORK/user-failure" 2>/dev/null || printf 'failed with status %s' "$status")"
  record_user "" refused "$(cat -- "$WORK/user-failure" 2>/dev/null || printf 'failed with status %s' "$status")" 1
}

# ---------------------------------------------------------------------------------------------
# Which users

has_keys_file() {
  local index=$1 file
  keys_files_for_user "$index" 2>/dev/null || return 1
  resolve_in_root "${USER_HOMES[index]}" || return 1
  USER_NAME=${USER_NAMES[index]} HOME_PATH=${USER_HOMES[index]}
  for file in "${KEY_FILES[@]}"; do
    locate_keys_file "$file" "$RESOLVED" 2>/dev/null || continue
    [[ -f $ROOT$TARGET_REAL ]] && return 0
  done
  return 1
}

select_users() {
  local index name
  if [[ $USERS_SPEC == auto ]]; then
    for index in "${!USER_NAMES[@]}"; do
      name=${USER_NAMES[index]}
      [[ $name != root ]] || continue
      if [[ $CLOUD_USERS == *" $name "* ]] || has_keys_file "$index"; then SELECTED_USERS+=("$name"); fi
    done
    ((${#SELECTED_USERS[@]} > 0)) ||
      fail "no login user found in the volume's /etc/passwd (looked for$CLOUD_USERS and users with a keys file): name one with --users"
    return 0
  fi
  local -a names
  IFS=, read -ra names <<< "${USERS_SPEC//[[:space:]]/}"
  for name in "${names[@]}"; do
    [[ -n $name && " ${SELECTED_USERS[*]} " != *" $name "* ]] || continue
    USER_NAME=$name SHOWN_FILE=""
    if ! valid_user_name "$name"; then
      # A long value is not echoed back: it could be a secret pasted by mistake.
      ((${#name} <= 32)) || USER_NAME="(a value of ${#name} characters)"
      log "REFUSED $USER_NAME: invalid user name"
      record_user "" refused "invalid user name" 1
    elif [[ -z ${USER_INDEX[$name]+set} ]]; then log "REFUSED $name: not in /etc/passwd"; record_user "" refused "no such user in the volume's /etc/passwd" 1
    else SELECTED_USERS+=("$name"); fi
  done
}

main() {
  parse_arguments "$@"
  validate_public_key "$PUBLIC_KEY"
  [[ $EUID == 0 ]] || fail "must run as root"
  WORK=$(mktemp -d -- "${TMPDIR:-/tmp}/reset-ssh-key.XXXXXXXX")
  : > "$WORK/users"; : > "$WORK/warnings"; : > "$WORK/temp-dirs"; : > "$WORK/created-dirs"; : > "$WORK/relabel"
  if [[ -n $DEVICE ]]; then attach_device; else use_root_directory; fi
  log "==> Reading the volume's accounts and sshd configuration"
  load_passwd
  [[ -z $DEVICE ]] || mount_home_filesystems
  load_groups_and_shadow
  read_selinux_mode
  load_sshd_config
  if [[ $USERS_SPEC == auto ]]; then log "==> Choosing the users: auto"; else log "==> Choosing the users: as named"; fi
  select_users
  log "==> Adding the key for: ${SELECTED_USERS[*]:-(nobody)}"
  local name
  for name in "${SELECTED_USERS[@]}"; do serve_isolated "$name"; done
  apply_scheduled_relabel
}

main "$@"
