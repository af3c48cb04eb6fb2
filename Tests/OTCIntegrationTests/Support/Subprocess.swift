import Foundation

/// Runs a program to completion without blocking a thread of Swift's cooperative pool.
///
/// The integration tests run the server in the same process. On a 2-core machine the pool has two
/// threads; two tests blocked in `waitUntilExit()` on an otcctl that talks to their in-process
/// servers starved those servers, and the whole suite hung. Output is drained on GCD threads and
/// the exit is awaited through the termination handler.
func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil)
    async throws -> (status: Int32, stdout: String, stderr: String)
{
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    let exited = AsyncStream<Int32> { continuation in
        process.terminationHandler = { continuation.yield($0.terminationStatus); continuation.finish() }
    }
    try process.run()
    async let stdout = drain(out.fileHandleForReading)
    async let stderr = drain(err.fileHandleForReading)
    var status: Int32 = -1
    for await code in exited { status = code }
    return (status, await stdout, await stderr)
}

private func drain(_ handle: FileHandle) async -> String {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(returning: String(decoding: handle.readDataToEndOfFile(), as: UTF8.self))
        }
    }
}
