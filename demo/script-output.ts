/** What the reset script printed on the helper, read back from SSM as a user could read it. */
import { GetCommandInvocationCommand, ListCommandsCommand, SSMClient } from "@aws-sdk/client-ssm";
import { isProbeDocument } from "../lib/probe-document";
import { isoSeconds } from "../rehearsal/script-time";

export interface ScriptRun {
    status: string;
    stdout: string;
    /** The script's run time (real seconds here: the script really ran). */
    seconds: number;
}

/** The newest reset command sent to the helper (not the helper-ready probe), or undefined when there is none. */
export async function scriptRun(helperId: string): Promise<ScriptRun | undefined> {
    const ssm = new SSMClient({});
    const newest = (
        await ssm.send(new ListCommandsCommand({ InstanceId: helperId }))
    ).Commands?.find((c) => !isProbeDocument(c.DocumentName ?? ""));
    if (!newest?.CommandId) return undefined;
    const out = await ssm.send(
        new GetCommandInvocationCommand({ CommandId: newest.CommandId, InstanceId: helperId }),
    );
    return {
        status: out.Status ?? "unknown",
        stdout: out.StandardOutputContent ?? "",
        seconds: isoSeconds(out.ExecutionElapsedTime ?? ""),
    };
}
