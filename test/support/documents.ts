/**
 * Which of the component's documents a SendCommand of the emulator's call log sent: the
 * helper-ready probe's or the reset's, by their name globs (lib/probe-document.ts,
 * lib/command-document.ts), as the operator policy and the emulator's command faults match them.
 */
import { RESET_DOCUMENT_NAMES } from "../../lib/command-document";
import { PROBE_DOCUMENT_NAMES } from "../../lib/probe-document";

/** `*` only, as the globs are written: any run of characters. */
function matchesGlob(glob: string, name: unknown): boolean {
    const pattern = glob
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, "\\$&"))
        .join(".*");
    return typeof name === "string" && new RegExp(`^${pattern}$`).test(name);
}

export const isProbeDocument = (name: unknown): boolean => matchesGlob(PROBE_DOCUMENT_NAMES, name);
export const isResetDocument = (name: unknown): boolean => matchesGlob(RESET_DOCUMENT_NAMES, name);
