/**
 * The hooks every whole-run test shares: skip (with the reason) where loop devices, xfsprogs or
 * ssh-keygen are missing (unless the run mounts no volume: the Windows runs),
 * and run each test on a fresh emulator with the realistic latency profile at `timeScale`, the
 * program's own waits scaled alike (EC2_RESET_ACCESS_TIME_SCALE); undone after each test.
 * Registers mocha hooks: call it at the top of a `describe`, before the suite's own hooks.
 */
import { emulator } from "../hooks";
import { requireCapability } from "./requirements";

/** The end-to-end tests' scale: realistic AWS durations at 1/200, a 40 s stop takes 0.2 s here. */
export const E2E_TIME_SCALE = 0.005;

export function useRealisticEmulation(
    timeScale: number,
    options: { loopDevices?: boolean } = {},
): void {
    before(function () {
        if (options.loopDevices === false) return; // a run whose volumes are never mounted
        // The target's root volume is a real XFS image; the key read back is checked with ssh-keygen.
        requireCapability(this, "loop-devices", "xfsprogs", "openssh-client");
    });

    beforeEach(async () => {
        await emulator().reset();
        await emulator().control("POST", "/profile", { name: "realistic", timeScale });
        process.env.EC2_RESET_ACCESS_TIME_SCALE = String(timeScale);
    });

    afterEach(async () => {
        delete process.env.EC2_RESET_ACCESS_TIME_SCALE;
        await emulator().reset(); // releases the loop devices before the suite removes the images
        await emulator().control("POST", "/profile", { name: "instant", timeScale: 1 });
    });
}
