/** The one sleep (its own module: the harness's emulator client uses it without loading Pulumi). */
export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
