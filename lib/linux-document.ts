/**
 * The SSM Command document that carries the Linux reset program (scripts/linux/reset_ssh_key/,
 * packed as a zipapp) to the helper. Every value arrives as a document parameter guarded by an
 * allowedPattern (SSM substitutes values into the script's text, so the patterns admit no quote,
 * no `$`, no newline).
 *
 * Timeouts, nested so that a timeout still cleans up: the program's own deadline
 * (PROGRAM_DEADLINE_SECONDS) restores, unmounts and reports; `timeout -s TERM` sends SIGTERM
 * (which the program also turns into a cleanup) TERM_MARGIN_SECONDS later, SIGKILL after
 * KILL_GRACE_SECONDS more; SSM's executionTimeout, which kills without a trap, comes last.
 */
import { documentJson, documentParameter as parameter, packScript } from "./command-document";
import { resetZipapp } from "./python-zipapp";

export { MAX_DOCUMENT_BYTES } from "./command-document";
export { PACKAGE_DIR } from "./python-zipapp";
export const PROGRAM_DEADLINE_SECONDS = 300;
export const TERM_MARGIN_SECONDS = 60;
export const KILL_GRACE_SECONDS = 30;
/** Finding the device may take up to 120 s; then the program under its timeouts. */
export const EXECUTION_TIMEOUT_SECONDS = 600;

export const PARAMETER_PATTERNS = {
    volumeId: "^vol-[0-9a-f]{8,17}$",
    deviceName: "^/dev/(sd|xvd)[f-p]$",
    publicKey:
        "^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [A-Za-z0-9@._:+-]{1,100})?$",
    users: "^(auto|[a-z_][a-z0-9_.-]{0,31}(,[a-z_][a-z0-9_.-]{0,31}){0,19})$",
    /** Empty, or the comment this tool gives the keys it installs for one instance. */
    revokeComment: "^(ec2-reset-access@i-[0-9a-f]{8,17})?$",
};

/**
 * Finds the helper's device for the volume: /dev/disk/by-id on Nitro (the volume id without its
 * dash), else the attachment's name (/dev/sdf or its Xen alias /dev/xvdf). The emulator sets
 * DISK_BY_ID_DIR and EBS_DEVICE_DIR to the same layout over its loop devices.
 */
const LOCATE_DEVICE = [
    'volume="{{ volumeId }}"; attached="{{ deviceName }}"',
    'by_id="${DISK_BY_ID_DIR:-/dev/disk/by-id}"; devices="${EBS_DEVICE_DIR:-/dev}"',
    'device=""',
    "for _ in $(seq 1 60); do",
    '  for candidate in "$by_id/nvme-Amazon_Elastic_Block_Store_${volume//-/}" "$devices/${attached#/dev/}" "$devices/xvd${attached#/dev/sd}"; do',
    '    if [ -b "$(readlink -f "$candidate")" ]; then device=$(readlink -f "$candidate"); break 2; fi',
    "  done",
    "  sleep 2",
    "done",
    'if [ -z "$device" ]; then echo "volume $volume is not visible on this helper (looked in $by_id and $devices)" >&2; exit 3; fi',
];

/** What SSM returns of a command's stdout (GetCommandInvocation): the first 24,000 characters. */
export const SSM_STDOUT_LIMIT = 24_000;
/** The log's share of that output, after the verdict line. */
export const LOG_TAIL_BYTES = 8_000;

/**
 * Runs `command` with its stdout in a file, then prints its final JSON line (the verdict) first
 * and a bounded tail of its log after it: GetCommandInvocation keeps only the first 24,000
 * characters of stdout, so with many users a verdict printed last would be cut off. stderr
 * passes through; the exit code is the command's.
 */
export function verdictFirst(command: string): string[] {
    return [
        'out="$workdir/stdout"; code=0',
        `${command} > "$out" || code=$?`,
        "verdict=$(grep -E '^[[:space:]]*\\{' \"$out\" | tail -n 1 || true)",
        'if [ -n "$verdict" ]; then printf \'%s\\n\' "$verdict"; fi',
        'size=$(wc -c < "$out")',
        `if [ "$size" -gt ${LOG_TAIL_BYTES} ]; then echo "[log: the first $((size - ${LOG_TAIL_BYTES})) of $size bytes cut; the verdict is the first line]"; fi`,
        `tail -c ${LOG_TAIL_BYTES} "$out"`,
        'exit "$code"',
    ];
}

/** The document's content (JSON); the program travels packed (lib/command-document.ts). */
export function resetDocumentContent(zipapp: Buffer = resetZipapp()): string {
    const runCommand = [
        "set -euo pipefail",
        "workdir=$(mktemp -d); trap 'rm -rf \"$workdir\"' EXIT",
        ...LOCATE_DEVICE,
        "base64 -d > \"$workdir/reset-ssh-key.pyz.gz\" <<'EC2_RESET_ACCESS_SCRIPT'",
        ...packScript(zipapp),
        "EC2_RESET_ACCESS_SCRIPT",
        'gunzip "$workdir/reset-ssh-key.pyz.gz"',
        // A rotation removes the keys this tool installed before for the instance (their comment);
        // the flag goes only with a value, so a first reset runs the program as before.
        'revoke=(); if [ -n "{{ revokeComment }}" ]; then revoke=(--revoke-comment "{{ revokeComment }}"); fi',
        ...verdictFirst(
            `timeout -s TERM -k ${KILL_GRACE_SECONDS} ${PROGRAM_DEADLINE_SECONDS + TERM_MARGIN_SECONDS} ` +
                `python3 -E -s "$workdir/reset-ssh-key.pyz" --deadline ${PROGRAM_DEADLINE_SECONDS} ` +
                '--device "$device" --public-key "{{ publicKey }}" --users "{{ users }}" ${revoke[@]+"${revoke[@]}"}',
        ),
    ];
    return documentJson(
        {
            schemaVersion: "2.2",
            description:
                "ec2-reset-access: put an SSH public key on an offline Linux root volume attached to this instance.",
            parameters: {
                volumeId: parameter(
                    "The target's root volume, attached to this helper.",
                    PARAMETER_PATTERNS.volumeId,
                ),
                deviceName: parameter(
                    "The device name it was attached at.",
                    PARAMETER_PATTERNS.deviceName,
                    "/dev/sdf",
                ),
                publicKey: parameter("One OpenSSH public key line.", PARAMETER_PATTERNS.publicKey),
                users: parameter(
                    "auto, or a comma-separated list of user names.",
                    PARAMETER_PATTERNS.users,
                    "auto",
                ),
                revokeComment: parameter(
                    "Keys with this comment are removed first (a rotation): ec2-reset-access@<instanceId>, or empty.",
                    PARAMETER_PATTERNS.revokeComment,
                    "",
                ),
            },
            mainSteps: [
                {
                    action: "aws:runShellScript",
                    name: "resetSshKey",
                    precondition: { StringEquals: ["platformType", "Linux"] },
                    inputs: { timeoutSeconds: String(EXECUTION_TIMEOUT_SECONDS), runCommand },
                },
            ],
        },
        "reset",
    );
}
