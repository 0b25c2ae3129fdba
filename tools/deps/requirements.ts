/**
 * What the tests and the demo need from the machine: one entry per capability, with how
 * tools/deps/check.ts gets it, which tests need it and why. The README's install list
 * (## Testing) mirrors this list; tests ask for a capability by its name
 * (test/support/requirements.ts).
 */
import * as probes from "./probes";
import { Reason } from "./probes";

/** What a run is for: `npm test` or `npm run demo`. */
export type Purpose = "test" | "demo";
export const PURPOSES: readonly Purpose[] = ["test", "demo"];

export const PWSH_VERSION = "7.6.9";
export const PESTER_VERSION = "5.7.1";
/** The emulator's own dependency script: checks moto, installs it with pip where it is missing. */
export const PYTHON_DEPS_SCRIPT = "emulator/ensure-python-deps.sh";
export const PYTHON_DEPS_HINT = "python3 -m pip install -r emulator/requirements.txt";

export type Installer =
    | { kind: "apt"; package: string }
    | { kind: "python" } // PYTHON_DEPS_SCRIPT, which the probe itself runs
    | { kind: "pwsh" } // dotnet tool install --global PowerShell
    | { kind: "pester" } // NuGet through dotnet restore of tools/deps/pester/Pester.csproj
    | { kind: "none"; hint: string }; // the machine's to provide, not ours to install

export interface Requirement {
    /** The name tests ask for with requireCapability(). */
    capability: string;
    purposes: Purpose[];
    install: Installer;
    probe: () => Reason;
    /** Which tests (or the demo) cannot run without it. */
    neededBy: string;
    why: string;
    /** Nothing can run without it: the check fails instead of letting tests skip. */
    essential?: boolean;
}

function debian(
    pkg: string,
    command: string,
    neededBy: string,
    why: string,
    purposes: Purpose[] = ["test"],
): Requirement {
    return {
        capability: pkg,
        purposes,
        install: { kind: "apt", package: pkg },
        probe: () => probes.commandReason(command),
        neededBy,
        why,
    };
}

const IMAGE_TESTS = "test/scripts, test/e2e, test/dynamic-providers/offline-reset";

export const REQUIREMENTS: readonly Requirement[] = [
    {
        capability: "moto",
        purposes: ["test", "demo"],
        install: { kind: "python" },
        probe: () => probes.pythonDepsReason(PYTHON_DEPS_SCRIPT),
        neededBy: "every test and the demo (one emulator serves the whole run)",
        why: "the AWS emulator is moto with its server extras plus the project's extensions",
        essential: true,
    },
    {
        capability: "root",
        purposes: ["test", "demo"],
        install: { kind: "none", hint: "run as root (sudo npm test)" },
        probe: probes.rootReason,
        neededBy: `${IMAGE_TESTS}, test/emulator/disks-loop, the demo`,
        why: "loop devices, mounts and apt-get need root",
    },
    {
        capability: "loop-devices",
        purposes: ["test", "demo"],
        install: {
            kind: "none",
            hint: "run as root on a machine with /dev/loop-control (a container needs --privileged)",
        },
        probe: probes.loopDevicesReason,
        neededBy: `${IMAGE_TESTS}, test/emulator/disks-loop, the demo`,
        why: "volumes are disk images on loop devices, mounted as the helper mounts them",
    },
    {
        capability: "device-mapper",
        purposes: ["test"],
        install: {
            kind: "none",
            hint: "a kernel with device-mapper and /dev/mapper/control (a container needs it passed in)",
        },
        probe: probes.deviceMapperReason,
        neededBy: "the multi-segment LVM test (test/scripts/device-volumes)",
        why: "a logical volume of several segments is a device-mapper table",
    },
    {
        capability: "dotnet",
        purposes: ["test"],
        install: {
            kind: "none",
            hint: "install the .NET SDK (8 or later), then run again: it brings PowerShell and Pester",
        },
        probe: () => probes.commandReason("dotnet"),
        neededBy: "installing PowerShell and Pester",
        why: "PowerShell 7 and Pester are installed as .NET tool and NuGet package",
    },
    debian(
        "e2fsprogs",
        "mkfs.ext4",
        `${IMAGE_TESTS}, test/emulator/disks-loop, the demo`,
        "ext4 images; the loop-device probe makes one",
        ["test", "demo"],
    ),
    debian(
        "xfsprogs",
        "mkfs.xfs",
        `${IMAGE_TESTS}, the demo`,
        "the target's root volume is XFS, as on Amazon Linux",
        ["test", "demo"],
    ),
    {
        ...debian(
            "btrfs-progs",
            "mkfs.btrfs",
            "test/scripts/device-volumes (btrfs)",
            "btrfs root volumes",
        ),
        probe: probes.btrfsReason,
    },
    debian("lvm2", "lvm", "test/scripts/device-volumes (LVM)", "root volumes on LVM"),
    debian("gdisk", "sgdisk", "GPT work on test images", "GPT partition tables (sgdisk)"),
    debian(
        "fdisk",
        "sfdisk",
        "test/scripts (partitioned disks), the demo's --make-debian-image",
        "partition tables of test images (sfdisk)",
        ["test", "demo"],
    ),
    debian(
        "dosfstools",
        "mkfs.vfat",
        "the demo's --make-debian-image, test/demo",
        "the EFI system partition (FAT) of the Debian-style disk image",
        ["test", "demo"],
    ),
    debian(
        "attr",
        "setfattr",
        "test/scripts (SELinux labels)",
        "extended attributes on volume files",
    ),
    debian(
        "openssh-client",
        "ssh-keygen",
        "test/lib/ssh-keys, test/e2e, test/scripts, the demo",
        "makes and checks SSH keys",
        ["test", "demo"],
    ),
    debian(
        "shellcheck",
        "shellcheck",
        "the lint of scripts/linux",
        "static checks of the bash the helper runs",
    ),
    {
        ...debian(
            "ntfs-3g",
            "ntfs-3g",
            "the real NTFS tests of the Windows script",
            "mounts NTFS images",
        ),
        probe: probes.ntfs3gReason,
    },
    debian(
        "mypy",
        "mypy",
        "test/scripts/python-typecheck (npm run typecheck:python: the Linux reset program, for Python 3.9) and the emulator",
        "type checks",
    ),
    debian(
        "pyflakes3",
        "pyflakes3",
        "test/scripts/python-typecheck (npm run typecheck:python) and the emulator",
        "unused names, undefined names",
    ),
    {
        capability: "pwsh",
        purposes: ["test"],
        install: { kind: "pwsh" },
        probe: probes.pwshReason,
        neededBy: "the Windows script's parser and Pester tests (test/windows)",
        why: `PowerShell ${PWSH_VERSION} runs the Windows script`,
    },
    {
        capability: "pester",
        purposes: ["test"],
        install: { kind: "pester" },
        probe: () => probes.moduleReason("Pester", PESTER_VERSION),
        neededBy: "the Windows script's Pester tests (test/windows)",
        why: `Pester ${PESTER_VERSION} is PowerShell's test framework`,
    },
];

export function requirement(capability: string): Requirement {
    const found = REQUIREMENTS.find((entry) => entry.capability === capability);
    if (!found)
        throw new Error(
            `unknown capability "${capability}": tools/deps/requirements.ts lists ${REQUIREMENTS.map((r) => r.capability).join(", ")}`,
        );
    return found;
}

/** How a person gets it by hand. */
export function hintFor(entry: Requirement): string {
    switch (entry.install.kind) {
        case "apt":
            return `apt-get install ${entry.install.package}`;
        case "python":
            return PYTHON_DEPS_HINT;
        case "pwsh":
            return `dotnet tool install --global PowerShell --version ${PWSH_VERSION} (needs the .NET SDK)`;
        case "pester":
            return "install the .NET SDK, then run npm test again (it restores Pester through dotnet)";
        case "none":
            return entry.install.hint;
    }
}
