namespace Carp.Engine.Hosting;

/// <summary>
/// A captured frame and when it reached this host: <paramref name="arrivedAt"/> is a <see cref="System.Diagnostics.Stopwatch"/>
/// timestamp, the kernel's receive time where the wire knows it (docs/protocol.md#arrival-time), otherwise the moment the
/// wire saw the frame. The span is only valid during the call.
/// </summary>
public delegate void FrameHandler(ReadOnlySpan<byte> frame, long arrivedAt);
