/**
 * The SSM Command document that carries scripts/linux/reset-ssh-key.sh to the helper. Every
 * value arrives as a document parameter guarded by an allowedPattern (SSM substitutes values
 * into the script's text, so the patterns admit no quote, no `$`, no newline).
 */
import * as fs from "fs";
import * as path from "path";
import { documentJson, documentParameter as parameter, packScript } from "./command-document";

export { MAX_DOCUMENT_BYTES } from "./command-document";
export const SCRIPT_PATH = path.join(__dirname, "..", "scripts", "linux", "reset-ssh-key.sh");
export const EXECUTION_TIMEOUT_SECONDS = 600;

export const PARAMETER_PATTERNS = {
    volumeId: "^vol-[0-9a-f]{8,17}$",
    deviceName: "^/dev/(sd|xvd)[f-p]$",
    publicKey: "^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [A-Za-z0-9@._:+-]{1,100})?$",
    users: "^(auto|[a-z_][a-z0-9_.-]{0,31}(,[a-z_][a-z0-9_.-]{0,31}){0,19})$",
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

/** The document's content (JSON); the script travels packed (lib/command-document.ts). */
export function resetDocumentContent(script: string = fs.readFileSync(SCRIPT_PATH, "utf8")): string {
    const runCommand = [
        "set -euo pipefail",
        'workdir=$(mktemp -d); trap \'rm -rf "$workdir"\' EXIT',
        ...LOCATE_DEVICE,
        "base64 -d > \"$workdir/reset-ssh-key.sh.gz\" <<'EC2_RESET_ACCESS_SCRIPT'",
        ...packScript(script),
        "EC2_RESET_ACCESS_SCRIPT",
        'gunzip "$workdir/reset-ssh-key.sh.gz"',
        'bash "$workdir/reset-ssh-key.sh" --device "$device" --public-key "{{ publicKey }}" --users "{{ users }}"',
    ];
    return documentJson({
        schemaVersion: "2.2",
        description: "ec2-reset-access: put an SSH public key on an offline Linux root volume attached to this instance.",
        parameters: {
            volumeId: parameter("The target's root volume, attached to this helper.", PARAMETER_PATTERNS.volumeId),
            deviceName: parameter("The device name it was attached at.", PARAMETER_PATTERNS.deviceName, "/dev/sdf"),
            publicKey: parameter("One OpenSSH public key line.", PARAMETER_PATTERNS.publicKey),
            users: parameter("auto, or a comma-separated list of user names.", PARAMETER_PATTERNS.users, "auto"),
        },
        mainSteps: [
            {
                action: "aws:runShellScript",
                name: "resetSshKey",
                precondition: { StringEquals: ["platformType", "Linux"] },
                inputs: { timeoutSeconds: String(EXECUTION_TIMEOUT_SECONDS), runCommand },
            },
        ],
    }, "reset");
}
