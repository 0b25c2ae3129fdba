/**
 * Outputs as the engine can carry them: a provider's outputs cross gRPC as a protobuf Struct,
 * which has no `undefined` ("Unexpected struct type"), so absent optional values are dropped.
 */
export function plainOutputs<T extends object>(outs: T): T {
    return JSON.parse(JSON.stringify(outs));
}
