/**
 * LVM physical volumes for the script tests, written without device-mapper (activation = 0):
 * each logical volume is then formatted through a loop device over its extent range.
 */
import { run } from "../../../rehearsal/disk/system";
import { Entry } from "../../../rehearsal/disk/tree";
import { buildFilesystem, FilesystemType, Workspace } from "../../../rehearsal/disk/images";

const NO_ACTIVATION = "global { activation = 0 } devices { obtain_device_list_from_udev = 0 }";

export interface LogicalVolumeSpec {
    name: string;
    mib: number;
    fs?: FilesystemType;
    entries?: Entry[];
}

function lvm(pv: string, command: string, args: string[]): string {
    return run("lvm", [command, "--devices", pv, "--config", NO_ACTIVATION, ...args]);
}

/** Byte ranges of each single-segment LV of the volume group on `pv`. */
export function logicalVolumeRanges(pv: string): Map<string, { offset: number; size: number }> {
    const peStart = Number(
        lvm(pv, "pvs", ["--noheadings", "--nosuffix", "--units", "b", "-o", "pe_start", pv]).trim(),
    );
    const rows = lvm(pv, "lvs", [
        "--noheadings",
        "--nosuffix",
        "--units",
        "b",
        "--separator",
        "|",
        "-o",
        "lv_name,seg_pe_ranges,vg_extent_size",
    ]);
    const ranges = new Map<string, { offset: number; size: number }>();
    for (const row of rows.trim().split("\n")) {
        const [name, pe, extent] = row.trim().split("|");
        const [first, last] = pe.split(":")[1].split("-").map(Number);
        ranges.set(name, {
            offset: peStart + first * Number(extent),
            size: (last - first + 1) * Number(extent),
        });
    }
    return ranges;
}

/** Makes `pv` a physical volume of a new volume group with the given LVs, formatted and filled. */
export function buildVolumeGroup(
    workspace: Workspace,
    pv: string,
    vg: string,
    volumes: LogicalVolumeSpec[],
): void {
    lvm(pv, "pvcreate", ["-q", "-ff", "-y", pv]);
    lvm(pv, "vgcreate", ["-q", vg, pv]);
    for (const volume of volumes) {
        lvm(pv, "lvcreate", [
            "-q",
            "-an",
            "-Zn",
            "-Wn",
            "-L",
            `${volume.mib}M`,
            "-n",
            volume.name,
            vg,
        ]);
    }
    const ranges = logicalVolumeRanges(pv);
    for (const volume of volumes) {
        if (!volume.fs) continue;
        const loop = workspace.attach(pv, ranges.get(volume.name));
        try {
            buildFilesystem(workspace, loop, volume.fs, volume.entries ?? []);
        } finally {
            workspace.detach(loop);
        }
    }
}
