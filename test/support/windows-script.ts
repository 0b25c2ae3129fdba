/**
 * What answers the Windows document's aws:runPowerShellScript in the whole-run tests. Where pwsh,
 * ntfs-3g, FUSE and loop devices are here, the real script: the emulator runs the document under
 * pwsh (emulator/powershell_runner.py) against an NTFS disk image registered for the target's
 * root volume, built here with the agent's files. Elsewhere the TypeScript stand-in
 * (powershell-stand-in.ts) ends the invocation with the output the script would print. Each test
 * prints which one ran.
 */
import * as path from "node:path";
import { AgentName } from "../../tools/windows-agent-model/agent-edits";
import { emulator } from "../hooks";
import { fixture, replaceOnce } from "../windows/helpers";
import { makeWindowsDiskImage, readWindowsDiskImage, VolumeTree } from "../windows/ntfs-volume";
import { ntfsSkipReason } from "../windows/pwsh";
import { errorOutput, standInForScript, successOutput } from "./powershell-stand-in";

export const SYSTEM_HIVE = "Windows\\System32\\config\\SYSTEM";

/** Each agent's files as a target's volume holds them before the reset (password generation off). */
export const AGENT_VOLUMES: Record<AgentName, VolumeTree> = {
    "EC2Launch v2": {
        [SYSTEM_HIVE]: "regf",
        "ProgramData\\Amazon\\EC2Launch\\config\\agent-config.yml": replaceOnce(
            fixture("ec2launch-v2/agent-config.yml"),
            "        type: random\n",
            "        type: static\n        data: Sup3r-Secret!\n",
        ),
        "ProgramData\\Amazon\\EC2Launch\\state\\.run-once": "",
        "Program Files\\Amazon\\EC2Launch\\EC2Launch.exe": "MZ",
    },
    "EC2Launch v1": {
        [SYSTEM_HIVE]: "regf",
        "ProgramData\\Amazon\\EC2-Windows\\Launch\\Config\\LaunchConfig.json": fixture(
            "ec2launch-v1/LaunchConfig.json",
        ),
        "Windows\\System32\\Tasks\\Amazon Ec2 Launch - Instance Initialization": fixture(
            "ec2launch-v1/instance-initialization.scheduled.xml",
        ),
        "ProgramData\\Amazon\\EC2-Windows\\Launch\\Scripts\\InitializeInstance.ps1": "# script",
    },
    EC2Config: {
        [SYSTEM_HIVE]: "regf",
        "Program Files\\Amazon\\Ec2ConfigService\\Settings\\config.xml":
            fixture("ec2config/config.xml"),
        "Program Files\\Amazon\\Ec2ConfigService\\Ec2Config.exe": "MZ",
    },
};

export interface ScriptOnTarget {
    kind: "real script (pwsh)" | "TypeScript stand-in";
    /** The disk image behind the root volume (real script only): read it after the run. */
    image?: string;
    /** Why the stand-in was used. */
    reason?: string;
    files(): Map<string, Buffer | string>;
}

let capability: Promise<string | null> | undefined;

/** Why the real script cannot run in the whole-run tests here, or null. */
export function realScriptUnavailable(): Promise<string | null> {
    capability ??= (async () => {
        const local = ntfsSkipReason();
        if (local) return local;
        const disks = await emulator().control<{ loopDevices: boolean; reason: string | null }>(
            "GET",
            "/disks/capability",
        );
        return disks.loopDevices ? null : `loop devices unavailable: ${disks.reason}`;
    })();
    return capability;
}

/**
 * Prepares the next Windows reset of `rootVolumeId`: a volume with `agent`'s files (or, for
 * "no Windows", a volume without Windows, which the script refuses). `dir` holds the image.
 */
export async function scriptOnTarget(
    rootVolumeId: string,
    agent: AgentName | "no Windows",
    dir: string,
): Promise<ScriptOnTarget> {
    const reason = await realScriptUnavailable();
    if (reason === null) {
        const image = path.join(dir, `${rootVolumeId}.img`);
        makeWindowsDiskImage(
            image,
            agent === "no Windows"
                ? { "Users\\Public\\readme.txt": "not Windows" }
                : AGENT_VOLUMES[agent],
        );
        await emulator().control("POST", "/disks", { volumeId: rootVolumeId, path: image });
        console.log(
            `      the Windows document runs the real script under pwsh on an NTFS image (${agent})`,
        );
        return { kind: "real script (pwsh)", image, files: () => readWindowsDiskImage(image) };
    }
    console.log(`      the TypeScript stand-in answers for the script: ${reason}`);
    await standInForScript(
        agent === "no Windows"
            ? errorOutput(
                  rootVolumeId,
                  `expected one partition of disk 1 holding ${SYSTEM_HIVE}, found 0`,
              )
            : successOutput(rootVolumeId, agent),
        agent === "no Windows" ? 1 : 0,
    );
    return {
        kind: "TypeScript stand-in",
        reason,
        files: () => {
            throw new Error("the stand-in has no volume to read");
        },
    };
}
