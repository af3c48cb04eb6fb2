import ServiceLifecycle

/// The loop of otcd's background services: the first round a minute after start (the server
/// migrates first), then one every `interval`; the pause ends at graceful shutdown, so a stopping
/// otcd never waits for a background service.
enum Rounds {
    static func every(_ interval: Duration, _ round: () async -> Void) async {
        var wait = min(interval, .seconds(60))
        while !Task.isShuttingDownGracefully {
            do {
                let pause = wait
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            } catch {
                return
            }
            wait = interval
            await round()
        }
    }
}
