/**
 * What the demo and the benchmark run in: the project's AWS emulator started with a latency
 * profile, its endpoint exported to the AWS SDK, the program's own deadlines and polls scaled to
 * the same emulated time, a target whose root volume may be a real XFS image, and a cleanup that
 * runs whatever happens: on success, on failure, on Ctrl-C.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EC2Client, Instance } from "@aws-sdk/client-ec2";
import { Emulator } from "../harness/emulator";
import { contextOf, createTarget } from "./targets";
import { TargetVolume } from "./target-volume";
import { loopUnavailableReason } from "./disk/system";
import { TargetContext } from "../lib/target-context";
import { RESET_DOCUMENT_NAMES } from "../lib/command-document";

export const PROFILE_DIR = path.join(__dirname, "..", "emulator", "profiles");

/** The reset program's result line as it prints it, for runs without a real disk. */
export const CANNED_RESULT =
    'canned by the emulator: the script did not run\n{"status":"ok","device":"/dev/nvme1n1","filesystem":"xfs",' +
    '"users":[{"name":"ec2-user","file":"/home/ec2-user/.ssh/authorized_keys","action":"created"}],"warnings":[],"error":null}';

/** The profile file a name stands for, relative to the repository (for what the tools print). */
export function profileFile(name: string): string {
    return path.relative(path.join(__dirname, ".."), path.join(PROFILE_DIR, `${name}.json`));
}

/** Why a real XFS root volume cannot be made here (root, loop devices, mkfs.xfs), or null. */
export function realDiskUnavailableReason(): string | null {
    const loops = loopUnavailableReason();
    if (loops) return loops;
    if (spawnSync("mkfs.xfs", ["-V"]).status !== 0)
        return "mkfs.xfs not installed (apt-get install xfsprogs)";
    return null;
}

export interface Target {
    instance: Instance;
    ctx: TargetContext;
}

export class Sandbox {
    /** The target's root volume image, when the sandbox has a real disk. */
    private volume?: TargetVolume;
    private closed = false;

    private constructor(
        readonly emulator: Emulator,
        readonly timeScale: number,
        /** Everything on disk (images, the emulator's folders, scratch files) is below it. */
        readonly workDir: string,
        private readonly savedTmpdir: string | undefined,
    ) {}

    /**
     * Starts the emulator with `profile` at `timeScale`, and points the SDK (AWS_ENDPOINT_URL)
     * and the program's waits (EC2_RESET_ACCESS_TIME_SCALE) at the same emulated time. TMPDIR
     * becomes a fresh work folder, for this process and the emulator alike, so that close()
     * removes whatever they left, even after a kill.
     */
    static async start(profile: string, timeScale: number): Promise<Sandbox> {
        const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "ec2-reset-access-sandbox-"));
        const savedTmpdir = process.env.TMPDIR;
        process.env.TMPDIR = workDir;
        let emulator: Emulator;
        try {
            emulator = await Emulator.start({ profile, timeScale });
        } catch (err) {
            restoreEnv("TMPDIR", savedTmpdir);
            sweep(workDir);
            throw err;
        }
        emulator.exportEnvironment();
        process.env.EC2_RESET_ACCESS_TIME_SCALE = String(timeScale);
        return new Sandbox(emulator, timeScale, workDir, savedTmpdir);
    }

    /** Switches the emulator's latency profile; the program's time scale stays. */
    async useProfile(profile: string): Promise<void> {
        await this.emulator.control("POST", "/profile", {
            name: profile,
            timeScale: this.timeScale,
        });
    }

    /**
     * Makes the target's root volume a real XFS filesystem (a small cloud-image root), and mounts
     * an XFS with the same UUID standing for the helper's own root, as on EC2.
     */
    makeRealDisk(): TargetVolume {
        if (!this.volume) {
            this.volume = new TargetVolume();
            this.volume.mountHelperLookalike();
        }
        return this.volume;
    }

    /** A folder below the work folder, removed by close(). */
    scratchDir(name: string): string {
        const dir = path.join(this.workDir, name);
        fs.mkdirSync(dir, { recursive: true });
        return dir;
    }

    /**
     * A running Linux target; its root volume backed by `rootImage` (an image file the emulator
     * may write), else by the real disk, if the sandbox has one.
     */
    async newTarget(rootImage?: string): Promise<Target> {
        const instance = await createTarget(new EC2Client({}));
        const ctx = contextOf(instance);
        const image = rootImage ?? this.volume?.imagePath;
        if (image) {
            await this.emulator.control("POST", "/disks", {
                volumeId: ctx.rootVolumeId,
                path: image,
            });
        }
        return { instance, ctx };
    }

    /**
     * The next Run Command invocation of the reset document ends Success with CANNED_RESULT
     * instead of running its script (an emulator command fault): for runs without a real disk.
     * The helper-ready probe (its own document) still runs. Forgotten by reset().
     */
    async cannedCommand(): Promise<void> {
        await this.emulator.control("POST", "/command-faults", {
            documentName: RESET_DOCUMENT_NAMES,
            exitCode: 0,
            stdout: CANNED_RESULT,
            times: 1,
        });
    }

    /** Forgets everything in the emulator (resources, call log, faults, disks). */
    async reset(): Promise<void> {
        await this.emulator.reset();
    }

    /**
     * Stops the emulator (it releases its loop devices), removes the disk images, then sweeps
     * the work folder: whatever is still mounted or attached below it goes, then the folder.
     */
    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        const errors: unknown[] = [];
        await this.emulator.stop().catch((err) => errors.push(err));
        try {
            this.volume?.cleanup();
        } catch (err) {
            errors.push(err);
        }
        delete process.env.EC2_RESET_ACCESS_TIME_SCALE;
        restoreEnv("TMPDIR", this.savedTmpdir);
        try {
            sweep(this.workDir);
        } catch (err) {
            errors.push(err);
        }
        if (errors.length)
            throw new AggregateError(errors, `cleanup failed: ${errors.map(String).join("; ")}`);
    }
}

function restoreEnv(name: string, value: string | undefined): void {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
}

/** Unmounts what is mounted below `dir`, detaches loop devices over its files, removes it. */
export function sweep(dir: string): void {
    const below = (p: string) => p.startsWith(dir + path.sep);
    const mounts = fs
        .readFileSync("/proc/self/mounts", "utf8")
        .split("\n")
        .map((line) =>
            line
                .split(" ")[1]
                ?.replace(/\\(\d{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8))),
        )
        .filter((m): m is string => Boolean(m) && below(m!));
    for (const mountpoint of mounts.reverse()) spawnSync("umount", ["-l", mountpoint]);
    const loops =
        spawnSync("losetup", ["--list", "--noheadings", "-O", "NAME,BACK-FILE"], {
            encoding: "utf8",
        }).stdout ?? "";
    for (const [name, file] of loops.split("\n").map((line) => line.trim().split(/\s+/, 2))) {
        if (name && file && below(file)) spawnSync("losetup", ["-d", name]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Runs `main` with `cleanup` guaranteed: after it returns or throws, and on SIGINT/SIGTERM, after
 * which the process exits 130/143 once cleaned up (an error `main` throws because of the
 * interruption, e.g. the emulator gone, is not reported). Returns the process exit code.
 */
export async function withCleanup(
    main: () => Promise<number>,
    cleanup: () => Promise<void>,
): Promise<number> {
    let cleaning: Promise<void> | undefined;
    let interrupted: NodeJS.Signals | undefined;
    const cleanOnce = () => (cleaning ??= cleanup());
    const exitCode = (signal: NodeJS.Signals) => (signal === "SIGINT" ? 130 : 143);
    const onSignal = (signal: NodeJS.Signals) => {
        interrupted = signal;
        process.stderr.write(`\n${signal}: cleaning up (emulator, disk images) before exiting\n`);
        cleanOnce()
            .catch((err) => process.stderr.write(`${err instanceof Error ? err.message : err}\n`))
            .finally(() => process.exit(exitCode(signal)));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
        return await main();
    } catch (err) {
        if (!interrupted) throw err;
        await new Promise(() => undefined); // the signal handler exits once cleaned up
        return exitCode(interrupted);
    } finally {
        await cleanOnce();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
    }
}
