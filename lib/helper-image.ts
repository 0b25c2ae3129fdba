/**
 * Which public AMI the helper boots. Linux: the current Amazon Linux 2023 (its SSM agent is
 * preinstalled; the reset script needs only bash and coreutils). Windows: a Windows Server of
 * another version than the target's. Two disks made from the same Windows image share a disk
 * signature, and Windows brings the second one online only by giving it a new signature, after
 * which the target no longer boots (its boot configuration names the old one).
 */
import type { Platform } from "./target-context";

export const LINUX_HELPER_PARAMETER =
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

/** Versions in order of preference: the most tested first, the oldest still supported last. */
export const WINDOWS_HELPER_VERSIONS = ["2022", "2019", "2025", "2016"];

export function windowsHelperParameter(version: string): string {
    return `/aws/service/ami-windows-latest/Windows_Server-${version}-English-Full-Base`;
}

export interface HelperImageChoice {
    parameter: string;
    /** Windows only: the helper's version, and whether the target's was known. */
    windowsVersion?: string;
    targetVersionKnown?: boolean;
}

export function chooseHelperImage(
    platform: Platform,
    targetWindowsVersion?: string,
): HelperImageChoice {
    if (platform !== "windows") return { parameter: LINUX_HELPER_PARAMETER };
    const version = WINDOWS_HELPER_VERSIONS.find((v) => v !== targetWindowsVersion)!;
    return {
        parameter: windowsHelperParameter(version),
        windowsVersion: version,
        targetVersionKnown: !!targetWindowsVersion,
    };
}

/**
 * The Windows Server version (the year) in an AMI's name or description, or in the name the
 * SSM agent reports: "Windows_Server-2019-English-Full-Base-…", "Microsoft Windows Server 2019
 * Datacenter". Undefined when none names one (a custom image with its own name, say).
 */
export function windowsVersionIn(...texts: Array<string | undefined>): string | undefined {
    for (const text of texts) {
        const match = /Windows[_ ]Server[- ](\d{4})(?![\d])/i.exec(text ?? "");
        if (match) return match[1];
    }
    return undefined;
}
