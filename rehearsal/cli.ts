/** How `npm run bench` and `npm run demo` start: options parsed (exit 2 on a bad one), run, exit code. */
export function runCommandLine<O>(
    name: string,
    parse: (argv: string[]) => O,
    main: (options: O) => Promise<number>,
): void {
    // The SDK's notice that its releases after January 2027 need Node 22 says nothing about this run.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    let options: O;
    try {
        options = parse(process.argv.slice(2));
    } catch (err) {
        console.error((err as Error).message);
        process.exit(2);
    }
    main(options).then(
        (code) => process.exit(code),
        (err) => {
            console.error(`${name} failed: ${err instanceof Error ? err.stack : err}`);
            process.exit(1);
        },
    );
}
