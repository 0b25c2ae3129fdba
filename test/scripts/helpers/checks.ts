/** Assertions shared by the script tests. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Workspace } from "../../../rehearsal/disk/images";
import { ScriptResult } from "./sandbox";
import { requireCapability } from "../../support/requirements";
import { ownershipOf } from "../../../rehearsal/disk/tree";

/**
 * Skips (with the reason) unless the script tests' images can be made here: loop devices, ext4
 * and XFS, SELinux labels, SSH keys; plus any `more` capabilities the suite needs.
 */
export function requireImageTools(context: Mocha.Context, ...more: string[]): void {
    requireCapability(
        context,
        "loop-devices",
        "e2fsprogs",
        "xfsprogs",
        "attr",
        "openssh-client",
        ...more,
    );
}

/** The script's output, for assertion messages. */
export function transcript(result: ScriptResult): string {
    return `\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}---`;
}

/** Nothing of the run is left: mounts, work files, loop devices over `devices`, guarded files. */
export function assertNoTraces(
    result: ScriptResult,
    workspace: Workspace,
    devices: string[] = [],
): void {
    assert.deepEqual(result.leftoverMounts, [], `mounts left behind${transcript(result)}`);
    assert.deepEqual(result.leftoverFiles, [], `work files left behind${transcript(result)}`);
    assert.deepEqual(result.guardedChanges, [], `guarded host files changed${transcript(result)}`);
    for (const device of devices) {
        assert.deepEqual(workspace.loopsOver(device), [], `loop devices left over ${device}`);
    }
}

export function assertExit(result: ScriptResult, status: number, jsonStatus: "ok" | "error"): void {
    assert.equal(result.status, status, `exit status${transcript(result)}`);
    assert.equal(result.json.status, jsonStatus, `JSON status${transcript(result)}`);
}

export interface Expected {
    uid: number;
    gid: number;
    mode: number;
}

/** Owner, group and mode of a path. */
export function assertOwnership(file: string, expected: Expected): void {
    const actual = ownershipOf(file);
    assert.deepEqual(
        { uid: actual.uid, gid: actual.gid, mode: actual.mode.toString(8) },
        { uid: expected.uid, gid: expected.gid, mode: expected.mode.toString(8) },
        file,
    );
}

/** A keys file: exact content, its owner and mode, and its directory's. */
export function assertKeysFile(
    file: string,
    content: string,
    owner: Expected,
    directoryMode = 0o700,
): void {
    assert.equal(fs.readFileSync(file, "utf8"), content, file);
    assertOwnership(file, owner);
    assertOwnership(path.dirname(file), { ...owner, mode: directoryMode });
}

/** No temporary file of the script is left in a directory. */
export function assertNoTempFiles(directory: string): void {
    if (!fs.existsSync(directory)) return;
    assert.deepEqual(
        fs.readdirSync(directory).filter((name) => name.startsWith(".reset-ssh-key.")),
        [],
        directory,
    );
}
