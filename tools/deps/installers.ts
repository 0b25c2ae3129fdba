/**
 * Installs what the probes found missing, each through its ordinary client: apt-get for Debian
 * packages, the .NET CLI for PowerShell and Pester (pip runs inside the emulator's own script,
 * called by its probe). Returns, per capability, why it could not be installed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findCommand, rootReason, userModulesDir } from "./probes";
import { PESTER_VERSION, PWSH_VERSION, Requirement } from "./requirements";

export type Log = (line: string) => void;
/** capability → why it was not installed */
export type Failures = Map<string, string>;

interface Outcome {
    ok: boolean;
    detail: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Outcome {
    const result = spawnSync(command, args, {
        encoding: "utf8",
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    if (result.error) return { ok: false, detail: `${command}: ${result.error.message}` };
    const output = `${result.stderr ?? ""}\n${result.stdout ?? ""}`
        .trim()
        .split("\n")
        .filter(Boolean);
    return {
        ok: result.status === 0,
        detail: `${command} ${args[0]} exited ${result.status}: ${output[0] ?? "no output"}`,
    };
}

/** Installs the missing requirements; the python one was already tried by its probe. */
export function installMissing(
    missing: Requirement[],
    firstReasons: Map<string, string>,
    log: Log,
): Failures {
    const failures: Failures = new Map();
    const apt = missing.filter((entry) => entry.install.kind === "apt");
    if (apt.length > 0)
        installDebian(apt, log).forEach((why, capability) => failures.set(capability, why));
    for (const entry of missing) {
        if (entry.install.kind === "python")
            failures.set(entry.capability, firstReasons.get(entry.capability) ?? "");
        if (entry.install.kind === "pwsh") note(failures, entry, installPwsh(log));
        if (entry.install.kind === "pester") note(failures, entry, installPester(log));
    }
    return failures;
}

function note(failures: Failures, entry: Requirement, why: string | null): void {
    if (why) failures.set(entry.capability, why);
}

const APT_ENV = { DEBIAN_FRONTEND: "noninteractive" };

function installDebian(entries: Requirement[], log: Log): Failures {
    const packages = entries.map((entry) =>
        entry.install.kind === "apt" ? entry.install.package : "",
    );
    const blocked = rootReason()
        ? "apt-get needs root"
        : findCommand("apt-get")
          ? null
          : "no apt-get on PATH (not a Debian-like machine)";
    const failures: Failures = new Map();
    const failAll = (why: string) =>
        entries.forEach((entry) => failures.set(entry.capability, why));
    if (blocked) {
        failAll(blocked);
        return failures;
    }
    log(`installing with apt-get: ${packages.join(" ")}`);
    const update = run("apt-get", ["update", "-qq"], APT_ENV);
    if (!update.ok) {
        failAll(update.detail);
        return failures;
    }
    const install = (names: string[]) =>
        run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...names], APT_ENV);
    if (install(packages).ok) return failures;
    // One unknown or broken package must not keep the others out: retry one by one.
    entries.forEach((entry, index) => {
        const single = install([packages[index]]);
        if (!single.ok) failures.set(entry.capability, single.detail);
    });
    return failures;
}

const DOTNET_ENV = {
    DOTNET_CLI_TELEMETRY_OPTOUT: "1",
    DOTNET_NOLOGO: "1",
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE: "1",
};

function installPwsh(log: Log): string | null {
    if (!findCommand("dotnet")) return "no dotnet (the .NET SDK) to install it with";
    log(`installing PowerShell ${PWSH_VERSION} with dotnet tool install`);
    const result = run(
        "dotnet",
        ["tool", "install", "--global", "PowerShell", "--version", PWSH_VERSION],
        DOTNET_ENV,
    );
    return result.ok ? null : result.detail;
}

/**
 * Restores Pester with `dotnet restore` of a throwaway copy of tools/deps/pester/Pester.csproj
 * (so the repository keeps no obj/), then copies the module where pwsh looks for user modules.
 * The package is shaped for Chocolatey: the module is its tools/ folder.
 */
function installPester(log: Log): string | null {
    if (!findCommand("dotnet")) return "no dotnet (the .NET SDK) to restore it with";
    log(`installing Pester ${PESTER_VERSION} with dotnet restore`);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "deps-pester-"));
    try {
        fs.copyFileSync(
            path.join(__dirname, "pester", "Pester.csproj"),
            path.join(work, "Pester.csproj"),
        );
        const packages = path.join(work, "packages");
        const restore = run(
            "dotnet",
            [
                "restore",
                path.join(work, "Pester.csproj"),
                "--packages",
                packages,
                "--verbosity",
                "quiet",
            ],
            DOTNET_ENV,
        );
        if (!restore.ok) return restore.detail;
        const restored = path.join(packages, "pester", PESTER_VERSION, "tools");
        if (!fs.existsSync(path.join(restored, "Pester.psd1")))
            return `dotnet restore left no Pester.psd1 in ${restored}`;
        copyModule(restored, path.join(userModulesDir(), "Pester", PESTER_VERSION));
        return null;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

/** Copies beside the target, then renames: an interrupted copy never looks installed. */
function copyModule(from: string, to: string): void {
    const staging = `${to}.partial-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.cpSync(from, staging, { recursive: true });
    fs.rmSync(to, { recursive: true, force: true });
    fs.renameSync(staging, to);
}
