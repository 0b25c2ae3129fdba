/**
 * The Linux reset program's own run time on the demo's target volume (the XFS root `npm run demo`
 * resets, with an XFS of the same UUID mounted as the helper's root, so the nouuid path runs):
 * each run on a fresh copy of the image, attached as a loop device, the median of N runs per
 * program. Several programs are timed in turn (A, B, A, B...) so that the machine's load falls
 * on all of them alike.
 *
 *   npm run bench:program -- [--runs 5] [--command 'bash /path/old-script.sh']...
 *
 * Without --command it times the zipapp the document carries (python3 -E -s app.pyz); in a
 * --command, {zipapp} stands for that file. Needs root
 * and loop devices; prints one line per program and its runs.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { resetZipapp } from "../lib/python-zipapp";
import { runCommandLine } from "../rehearsal/cli";
import { run as runTool } from "../rehearsal/disk/system";
import { spread } from "../rehearsal/stats";
import { TargetVolume } from "../rehearsal/target-volume";

interface Options {
    runs: number;
    commands: string[];
}

function parse(argv: string[]): Options {
    const options: Options = { runs: 5, commands: [] };
    for (let i = 0; i < argv.length; i += 2) {
        if (argv[i] === "--runs" && /^[1-9][0-9]?$/.test(argv[i + 1] ?? ""))
            options.runs = Number(argv[i + 1]);
        else if (argv[i] === "--command" && argv[i + 1]) options.commands.push(argv[i + 1]);
        else
            throw new Error(
                `usage: program-time [--runs N (1-99)] [--command 'PROGRAM ARGS']...; unexpected ${argv[i]}`,
            );
    }
    return options;
}

/** One run: a fresh copy of the image, attached; the program's wall time in seconds. */
function timeOnce(volume: TargetVolume, command: string[], publicKey: string): number {
    const copy = path.join(volume.workspace.dir, `run-${process.pid}-${Date.now()}.img`);
    spawnSync("cp", ["--sparse=always", volume.imagePath, copy]);
    const loop = volume.workspace.attach(copy);
    try {
        const started = process.hrtime.bigint();
        const run = spawnSync(
            command[0],
            [...command.slice(1), "--device", loop, "--public-key", publicKey],
            { encoding: "utf8" },
        );
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const result = run.stdout.trimEnd().split("\n").pop() ?? "";
        if (run.status !== 0)
            throw new Error(
                `${command.join(" ")} exited ${run.status}:\n${run.stdout}${run.stderr}`,
            );
        if (!result.startsWith('{"status":"ok"')) throw new Error(`unexpected result: ${result}`);
        return seconds;
    } finally {
        volume.workspace.detach(loop);
        fs.rmSync(copy, { force: true });
    }
}

async function main(options: Options): Promise<number> {
    const volume = new TargetVolume();
    const zipapp = path.join(volume.workspace.dir, "reset-ssh-key.pyz");
    fs.writeFileSync(zipapp, resetZipapp());
    const given = options.commands.length ? options.commands : ["python3 -E -s {zipapp}"];
    const commands = given.map((command) =>
        command.split(" ").map((word) => (word === "{zipapp}" ? zipapp : word)),
    );
    try {
        volume.mountHelperLookalike();
        runTool("ssh-keygen", [
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "bench@program-time",
            "-f",
            path.join(volume.workspace.dir, "key"),
        ]);
        const key = fs.readFileSync(path.join(volume.workspace.dir, "key.pub"), "utf8").trim();
        const times = commands.map(() => [] as number[]);
        for (let run = 0; run < options.runs; run++) {
            commands.forEach((command, index) => times[index].push(timeOnce(volume, command, key)));
        }
        commands.forEach((command, index) => {
            const { median, min, max } = spread(times[index]);
            const label = command.join(" ").replace(zipapp, "reset-ssh-key.pyz");
            console.log(
                `${label}: median ${median.toFixed(2)} s of ${options.runs} (min ${min.toFixed(2)}, max ${max.toFixed(2)}): ${times[index].map((t) => t.toFixed(2)).join(" ")}`,
            );
        });
        return 0;
    } finally {
        volume.cleanup();
    }
}

runCommandLine("program-time", parse, main);
