using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Carpd.Notify;

/// <summary>
/// One state change as notify hooks and the event FIFO see it (docs/protocol.md#notify-hooks): numbered in the order
/// the engine reported it, with what the configuration says of the virtual host at that moment. Carries no pass.
/// </summary>
public sealed record StateNotification
{
    /// <summary>1 for carpd's first state change, then one more per state change of any virtual host.</summary>
    public required long Sequence { get; init; }

    public required DateTimeOffset Time { get; init; }

    public required string Interface { get; init; }

    public required byte Vhid { get; init; }

    public required NotifyState State { get; init; }

    public required NotifyState Previous { get; init; }

    /// <summary>The engine's TransitionReason, by name (docs/ARCHITECTURE.md#transitions).</summary>
    public required string Reason { get; init; }

    /// <summary>Empty when the virtual host is no longer configured (and was never seen configured).</summary>
    public string CarpDev { get; init; } = string.Empty;

    /// <summary>The virtual addresses, as address/prefix.</summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];

    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>VRRPv3: its priority is given instead of the advskew.</summary>
    public bool IsVrrp { get; init; }

    /// <summary>The configured advskew (CARP) or priority (VRRPv3).</summary>
    public byte AdvSkewOrPriority { get; init; }

    /// <summary>The time as hooks and the stream write it: UTC, ISO 8601 with milliseconds.</summary>
    public string TimeText => Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The arguments of a hook, in this order: name, vhid, state, previous state, reason, advskew (VRRPv3: priority).</summary>
    public IReadOnlyList<string> Arguments() =>
    [
        Interface,
        Vhid.ToString(CultureInfo.InvariantCulture),
        NotifyStates.Word(State),
        NotifyStates.Word(Previous),
        Reason,
        AdvSkewOrPriority.ToString(CultureInfo.InvariantCulture),
    ];

    /// <summary>The environment variables a hook gets.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment()
    {
        var number = AdvSkewOrPriority.ToString(CultureInfo.InvariantCulture);
        return
        [
            new("CARP_INTERFACE", Interface),
            new("CARP_VHID", Vhid.ToString(CultureInfo.InvariantCulture)),
            new("CARP_STATE", NotifyStates.Word(State)),
            new("CARP_PREVIOUS_STATE", NotifyStates.Word(Previous)),
            new("CARP_REASON", Reason),
            new(IsVrrp ? "CARP_PRIORITY" : "CARP_ADVSKEW", number),
            new("CARP_PROTOCOL", IsVrrp ? "vrrp" : "carp"),
            new("CARP_CARPDEV", CarpDev),
            new("CARP_ADDRESSES", string.Join(' ', Addresses)),
            new("CARP_EVENT_SEQUENCE", Sequence.ToString(CultureInfo.InvariantCulture)),
            new("CARP_EVENT_TIME", TimeText),
        ];
    }

    /// <summary>The line of the event FIFO: one JSON object, then '\n'.</summary>
    public byte[] JsonLine()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("sequence", Sequence);
            json.WriteString("time", TimeText);
            json.WriteString("interface", Interface);
            json.WriteNumber("vhid", Vhid);
            json.WriteString("state", NotifyStates.Word(State));
            json.WriteString("previous", NotifyStates.Word(Previous));
            json.WriteString("reason", Reason);
            json.WriteString("carpdev", CarpDev);
            json.WriteStartArray("addresses");
            foreach (var address in Addresses)
            {
                json.WriteStringValue(address);
            }

            json.WriteEndArray();
            json.WriteString("protocol", IsVrrp ? "vrrp" : "carp");
            json.WriteNumber(IsVrrp ? "priority" : "advskew", AdvSkewOrPriority);
            json.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    public override string ToString() => $"{Interface} #{Sequence} {NotifyStates.Word(Previous)} -> {NotifyStates.Word(State)} ({Reason})";
}
