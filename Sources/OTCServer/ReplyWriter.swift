import NIOConcurrencyHelpers
import NIOCore
import OTCProto

/// Writes replies from call tasks, coalescing flushes: replies that finish while an event-loop hop
/// is already pending go out in the same TLS flush. Under load this turns one syscall and one TLS
/// record per reply into one per batch; at low load it adds nothing (the first reply schedules the
/// hop at once).
///
/// Writes go through the channel rather than `NIOAsyncChannelOutboundWriter`, because call tasks
/// may be cancelled (Cancel, deadline) and a cancelled task cannot yield into the async writer.
final class ReplyWriter: Sendable {
    private let channel: any Channel
    private let pending = NIOLockedValueBox<(frames: [Otc_Wire_V1_ServerFrame], scheduled: Bool)>(([], false))

    init(channel: any Channel) {
        self.channel = channel
    }

    func send(_ frame: Otc_Wire_V1_ServerFrame) {
        let schedule = pending.withLockedValue { state -> Bool in
            state.frames.append(frame)
            guard !state.scheduled else { return false }
            state.scheduled = true
            return true
        }
        guard schedule else { return }
        let channel = self.channel
        channel.eventLoop.execute {
            let frames = self.pending.withLockedValue { state -> [Otc_Wire_V1_ServerFrame] in
                defer { state = ([], false) }
                return state.frames
            }
            for frame in frames { channel.write(frame, promise: nil) }
            channel.flush()
        }
    }
}
