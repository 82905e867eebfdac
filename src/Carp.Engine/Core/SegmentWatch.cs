using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// A passive model of the CARP and VRRPv3 speakers on one segment (docs/protocol.md#segment-watch). Fed with captured
/// Ethernet frames (<see cref="Receive"/>) and the passing of time (<see cref="Tick"/>), it keeps an entry per
/// (protocol, family, vhid) and raises <see cref="SegmentFindings"/>. It sends nothing and does no I/O; time comes
/// from the <see cref="TimeProvider"/>. Not thread-safe: one caller at a time. Bad packets are counted, never thrown.
/// </summary>
public sealed class SegmentWatch : IDisposable
{
    /// <summary>The most addresses whose subsets are tried against a CARP HMAC (2^8 − 1 sets at most).</summary>
    public const int MaxHmacCandidates = 8;

    private const int Overlaps = 2;

    private readonly TimeProvider _time;
    private readonly SegmentWatchOptions _options;
    private readonly Dictionary<(SegmentProtocol, AddressFamily, byte), Entry> _entries = [];
    private readonly Dictionary<byte, List<IPAddress>> _learnt = [];
    private readonly Dictionary<string, CarpHmac> _hmacs = new(StringComparer.Ordinal);
    private readonly List<object> _changes = [];

    public SegmentWatch(TimeProvider time, SegmentWatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _options = options ?? new SegmentWatchOptions();
    }

    /// <summary>Frames given to <see cref="Receive"/>.</summary>
    public long Frames { get; private set; }

    /// <summary>Protocol-112 packets dropped as malformed: cut short, bad checksum, unknown version or type, a wrong length.</summary>
    public long BadPackets { get; private set; }

    /// <summary>Valid packets not modelled: VRRPv2 (version 2 without CARP's layout), or another vhid than the one watched.</summary>
    public long IgnoredPackets { get; private set; }

    /// <summary>With a pass: CARP adverts whose HMAC could not be checked because no address of their vhid is known yet.</summary>
    public long HmacUnchecked { get; private set; }

    /// <summary>Every entry as it is now, ordered by vhid, protocol and family.</summary>
    public IReadOnlyList<SegmentEntry> Snapshot()
    {
        var now = _time.GetUtcNow();
        return [.. _entries.Values.OrderBy(e => e.Vhid).ThenBy(e => e.Protocol).ThenBy(e => e.Family).Select(e => e.Snapshot(now))];
    }

    /// <summary>
    /// The changes since the last call, in order: a <see cref="SegmentEntry"/> when a vhid is first seen or its master,
    /// timing or findings change, and a <see cref="SegmentFinding"/> per finding raised.
    /// </summary>
    public IReadOnlyList<object> TakeChanges()
    {
        if (_changes.Count == 0)
        {
            return [];
        }

        var changes = _changes.ToArray();
        _changes.Clear();
        return changes;
    }

    /// <summary>Takes one captured Ethernet frame: an advert updates its entry, an ARP from a virtual MAC teaches an address.</summary>
    public void Receive(ReadOnlySpan<byte> frame)
    {
        Frames++;
        var now = _time.GetUtcNow();
        CheckSilence(now);
        if (ArpFrame.IsArp(frame))
        {
            Learn(frame);
            return;
        }

        switch (CarpFrameReader.TryParse(frame, out var carpFrame))
        {
            case CarpFrameStatus.NotCarp:
                return;
            case CarpFrameStatus.Truncated:
                BadPackets++;
                return;
        }

        var payload = carpFrame.Payload(frame);
        var sourceMac = new PhysicalAddress(frame.Slice(6, 6).ToArray());
        if (payload.Length < 1)
        {
            BadPackets++;
            return;
        }

        var version = payload[0] >> 4;
        if (version == VrrpConstants.Version)
        {
            ReceiveVrrp(frame, carpFrame, payload, sourceMac, now);
        }
        else if (version == CarpConstants.Version)
        {
            ReceiveCarp(frame, carpFrame, payload, sourceMac, now);
        }
        else
        {
            BadPackets++;
        }
    }

    /// <summary>Raises <see cref="SegmentFindings.MasterSilent"/> for vhids whose last advert is older than its master-down interval.</summary>
    public void Tick() => CheckSilence(_time.GetUtcNow());

    public void Dispose()
    {
        foreach (var hmac in _hmacs.Values)
        {
            hmac.Dispose();
        }

        _hmacs.Clear();
    }

    private void CheckSilence(DateTimeOffset now)
    {
        foreach (var entry in _entries.Values)
        {
            var last = entry.Last?.State;
            if (last is null || entry.Silent || now - last.LastSeen <= last.MasterDown)
            {
                continue;
            }

            entry.Silent = true;
            entry.SplitActive = false;
            Raise(entry, SegmentFindings.MasterSilent, now,
                $"no advert since {last.LastSeen:HH:mm:ss.fff} from {last.Address} ({(now - last.LastSeen).TotalSeconds:0.0} s, master-down {last.MasterDown.TotalSeconds:0.0##} s)");
            entry.Changed = false;
            _changes.Add(entry.Snapshot(now));
        }
    }

    private void ReceiveCarp(ReadOnlySpan<byte> frame, CarpFrame carpFrame, ReadOnlySpan<byte> payload, PhysicalAddress sourceMac, DateTimeOffset now)
    {
        // VRRPv2 shares version 2 and type 1; CARP's layout is 36 bytes with authlen 7 in byte 3.
        if (payload.Length != CarpConstants.HeaderLength || payload[3] != CarpConstants.AuthLen)
        {
            if (payload.Length >= 8 && payload.Length == 16 + (4 * payload[3]))
            {
                IgnoredPackets++;
            }
            else
            {
                BadPackets++;
            }

            return;
        }

        if (!CarpHeaderCodec.IsChecksumValid(payload) || !CarpHeaderCodec.TryRead(payload, out var advert)
            || advert.Type != CarpConstants.TypeAdvertisement || advert.Vhid == 0)
        {
            BadPackets++;
            return;
        }

        if (_options.Vhid is { } only && only != advert.Vhid)
        {
            IgnoredPackets++;
            return;
        }

        var entry = EntryFor(SegmentProtocol.Carp, carpFrame.Family, advert.Vhid, now);
        var leaving = advert.AdvBase == byte.MaxValue && advert.AdvSkew == byte.MaxValue;
        var interval = TimeSpan.FromSeconds(advert.AdvBase) + TimeSpan.FromTicks(TimeSpan.TicksPerSecond * advert.AdvSkew / 256);
        var sender = Update(entry, carpFrame.SourceAddress(frame), sourceMac, now, leaving,
            s => s with { AdvBase = advert.AdvBase, AdvSkew = advert.AdvSkew, Demote = advert.DemoteCount, Interval = interval, Leaving = false });
        if (_options.Pass is { IsEmpty: false } pass)
        {
            CheckHmac(entry, sender, pass, advert, CarpHeaderCodec.Hmac(payload), now);
        }

        Settle(entry, sender, now);
    }

    private void ReceiveVrrp(ReadOnlySpan<byte> frame, CarpFrame carpFrame, ReadOnlySpan<byte> payload, PhysicalAddress sourceMac, DateTimeOffset now)
    {
        if (!VrrpCodec.TryRead(payload, out var advert) || advert.Type != VrrpConstants.TypeAdvertisement || advert.Vrid == 0
            || advert.Interval < VrrpConstants.IntervalMin
            || payload.Length < VrrpCodec.Length(advert.AddressCount, carpFrame.AddressLength)
            || !VrrpCodec.IsChecksumValid(payload[..VrrpCodec.Length(advert.AddressCount, carpFrame.AddressLength)],
                carpFrame.Source(frame), frame.Slice(carpFrame.DestinationOffset, carpFrame.AddressLength), out _))
        {
            BadPackets++;
            return;
        }

        if (_options.Vhid is { } only && only != advert.Vrid)
        {
            IgnoredPackets++;
            return;
        }

        var list = VrrpCodec.Addresses(payload, advert.AddressCount, carpFrame.AddressLength);
        var addresses = new List<IPAddress>(advert.AddressCount);
        for (var i = 0; i < advert.AddressCount; i++)
        {
            addresses.Add(new IPAddress(list.Slice(i * carpFrame.AddressLength, carpFrame.AddressLength)));
        }

        var entry = EntryFor(SegmentProtocol.Vrrp, carpFrame.Family, advert.Vrid, now);
        var leaving = advert.Priority == VrrpConstants.ShutdownPriority;
        var interval = TimeSpan.FromMilliseconds(advert.Interval * 10);
        var sender = Update(entry, carpFrame.SourceAddress(frame), sourceMac, now, leaving,
            s => s with { Priority = advert.Priority, Interval = interval, Leaving = false });
        SetAddresses(entry, sender, Sorted(addresses), now);
        Settle(entry, sender, now);
    }

    private Entry EntryFor(SegmentProtocol protocol, AddressFamily family, byte vhid, DateTimeOffset now)
    {
        if (_entries.TryGetValue((protocol, family, vhid), out var entry))
        {
            return entry;
        }

        entry = new Entry(_options.Interface, protocol, family, vhid);
        _entries.Add((protocol, family, vhid), entry);
        entry.Changed = true;
        foreach (var other in _entries.Values.Where(e => e.Vhid == vhid && e.Protocol != protocol).ToArray())
        {
            var detail = $"CARP and VRRP both advertise id {vhid}; they share the virtual MAC 00:00:5e:00:01:{vhid:x2}";
            Raise(other, SegmentFindings.ProtocolClash, now, detail);
            other.Changed = false;
            _changes.Add(other.Snapshot(now));
            Raise(entry, SegmentFindings.ProtocolClash, now, detail);
        }

        return entry;
    }

    /// <summary>Records one advert of a sender; a leaving advert (bow-out, priority 0) keeps the sender's last timing.</summary>
    private static Sender Update(Entry entry, IPAddress address, PhysicalAddress mac, DateTimeOffset now, bool leaving, Func<SegmentSender, SegmentSender> timing)
    {
        var key = $"{address}|{mac}";
        if (!entry.Senders.TryGetValue(key, out var sender))
        {
            sender = new Sender(key, new SegmentSender(address, mac, now, now, 0, 0, 0, 0, 0, TimeSpan.Zero, false));
            entry.Senders.Add(key, sender);
            sender.State = timing(sender.State); // the first advert's timing even if it leaves
        }

        var before = sender.State;
        var state = leaving ? before : timing(before);
        sender.State = state with { LastSeen = now, Adverts = state.Adverts + 1, Leaving = leaving };
        if (!ReferenceEquals(entry.Last, sender) || before.Leaving != leaving || !SameTiming(before, sender.State))
        {
            entry.Changed = true;
        }

        entry.Adverts++;
        return sender;
    }

    private static bool SameTiming(SegmentSender a, SegmentSender b) =>
        a.AdvBase == b.AdvBase && a.AdvSkew == b.AdvSkew && a.Demote == b.Demote && a.Priority == b.Priority && a.Interval == b.Interval;

    /// <summary>After an advert: split-brain bookkeeping, the end of a silence, and the entry's change if any.</summary>
    private void Settle(Entry entry, Sender sender, DateTimeOffset now)
    {
        entry.Last = sender;
        entry.LastSeen = now;
        entry.Silent = false;
        if (sender.State.Leaving)
        {
            sender.Overlaps.Clear();
        }
        else
        {
            // Backups are silent: another sender still within its master-down interval is another master. It takes
            // two adverts each while the other lives (a preempting master's first advert may cross its predecessor's last).
            foreach (var other in entry.Senders.Values.Where(o => !ReferenceEquals(o, sender)))
            {
                var live = !other.State.Leaving && now - other.State.LastSeen <= other.State.MasterDown;
                if (!live)
                {
                    sender.Overlaps.Remove(other.Key);
                    continue;
                }

                sender.Overlaps[other.Key] = sender.Overlaps.GetValueOrDefault(other.Key) + 1;
                if (!entry.SplitActive && sender.Overlaps[other.Key] >= Overlaps && other.Overlaps.GetValueOrDefault(sender.Key) >= Overlaps)
                {
                    entry.SplitActive = true;
                    Raise(entry, SegmentFindings.SplitBrain, now,
                        $"{other.State.Address} ({other.State.Mac}) and {sender.State.Address} ({sender.State.Mac}) both advertise as master");
                }
            }
        }

        if (entry.SplitActive && entry.LiveCount(now) < 2)
        {
            entry.SplitActive = false;
        }

        if (entry.Changed)
        {
            entry.Changed = false;
            _changes.Add(entry.Snapshot(now));
        }
    }

    private void SetAddresses(Entry entry, Sender sender, IReadOnlyList<IPAddress> addresses, DateTimeOffset now)
    {
        if (sender.Addresses is { } known && known.SequenceEqual(addresses))
        {
            return;
        }

        sender.Addresses = addresses;
        entry.Changed = true;
        foreach (var other in entry.Senders.Values)
        {
            if (!ReferenceEquals(other, sender) && other.Addresses is { } theirs && !theirs.SequenceEqual(addresses) && !entry.CollisionRaised)
            {
                entry.CollisionRaised = true;
                Raise(entry, SegmentFindings.VhidCollision, now,
                    $"{other.State.Address} stands for {string.Join(",", theirs)}, {sender.State.Address} for {string.Join(",", addresses)}");
            }
        }
    }

    private void CheckHmac(Entry entry, Sender sender, CarpKey pass, CarpAdvertisement advert, ReadOnlySpan<byte> received, DateTimeOffset now)
    {
        var pool = _options.Addresses.Concat(_learnt.GetValueOrDefault(advert.Vhid) ?? []).Distinct().Take(MaxHmacCandidates).ToArray();
        if (pool.Length == 0)
        {
            HmacUnchecked++;
            return;
        }

        // The set this sender matched last is tried first, so a steady sender costs one HMAC per advert.
        if (sender.Addresses is { } last && Verify(pass, advert, last, received))
        {
            entry.HmacVerified++;
            return;
        }

        for (var mask = (1 << pool.Length) - 1; mask > 0; mask--)
        {
            var set = Sorted(pool.Where((_, i) => (mask & (1 << i)) != 0));
            if (Verify(pass, advert, set, received))
            {
                entry.HmacVerified++;
                SetAddresses(entry, sender, set, now);
                return;
            }
        }

        entry.HmacFailures++;
        if (!entry.PassMismatchRaised)
        {
            entry.PassMismatchRaised = true;
            Raise(entry, SegmentFindings.PassMismatch, now,
                $"the advert of {sender.State.Address} fails the HMAC with the given pass for every set of {string.Join(",", pool.Select(a => a.ToString()))}");
        }
    }

    private bool Verify(CarpKey pass, CarpAdvertisement advert, IReadOnlyList<IPAddress> set, ReadOnlySpan<byte> received)
    {
        var key = $"{advert.Vhid}|{string.Join(",", set)}";
        if (!_hmacs.TryGetValue(key, out var hmac))
        {
            hmac = new CarpHmac(pass, advert.Vhid, set);
            _hmacs.Add(key, hmac);
        }

        return hmac.Verify(advert.Counter, received);
    }

    /// <summary>An ARP reply or gratuitous ARP from a CARP virtual MAC (00:00:5e:00:01:vhid) names an address of that vhid.</summary>
    private void Learn(ReadOnlySpan<byte> frame)
    {
        if (!ArpFrame.TryRead(frame, out var arp) || !(arp.Operation == ArpFrame.Reply || arp.IsGratuitous))
        {
            return;
        }

        var mac = arp.SenderMac.GetAddressBytes();
        if (mac is not [0x00, 0x00, 0x5E, 0x00, 0x01, var vhid] || vhid == 0 || arp.SenderIp.Equals(IPAddress.Any))
        {
            return;
        }

        if (!_learnt.TryGetValue(vhid, out var list))
        {
            list = [];
            _learnt.Add(vhid, list);
        }

        if (!list.Contains(arp.SenderIp))
        {
            list.Add(arp.SenderIp);
        }
    }

    private void Raise(Entry entry, SegmentFindings finding, DateTimeOffset now, string detail)
    {
        entry.Findings |= finding;
        _changes.Add(new SegmentFinding(entry.Interface, entry.Protocol, entry.Family, entry.Vhid, finding, now, detail));
        entry.Changed = true;
    }

    private static IReadOnlyList<IPAddress> Sorted(IEnumerable<IPAddress> addresses) =>
        [.. addresses.OrderBy(a => a.AddressFamily).ThenBy(a => Convert.ToHexString(a.GetAddressBytes()), StringComparer.Ordinal)];

    private sealed class Sender(string key, SegmentSender state)
    {
        public string Key { get; } = key;

        public SegmentSender State { get; set; } = state;

        /// <summary>Adverts this sender sent while another (by key) was live, in a row.</summary>
        public Dictionary<string, int> Overlaps { get; } = new(StringComparer.Ordinal);

        public IReadOnlyList<IPAddress>? Addresses { get; set; }
    }

    private sealed class Entry(string iface, SegmentProtocol protocol, AddressFamily family, byte vhid)
    {
        public string Interface { get; } = iface;

        public SegmentProtocol Protocol { get; } = protocol;

        public AddressFamily Family { get; } = family;

        public byte Vhid { get; } = vhid;

        public Dictionary<string, Sender> Senders { get; } = new(StringComparer.Ordinal);

        public Sender? Last { get; set; }

        public DateTimeOffset LastSeen { get; set; }

        public long Adverts { get; set; }

        public long HmacFailures { get; set; }

        public long HmacVerified { get; set; }

        public SegmentFindings Findings { get; set; }

        public bool Silent { get; set; }

        public bool SplitActive { get; set; }

        public bool CollisionRaised { get; set; }

        public bool PassMismatchRaised { get; set; }

        public bool Changed { get; set; }

        public int LiveCount(DateTimeOffset now) =>
            Senders.Values.Count(s => !s.State.Leaving && now - s.State.LastSeen <= s.State.MasterDown);

        public SegmentEntry Snapshot(DateTimeOffset now)
        {
            var last = Last!.State;
            return new SegmentEntry
            {
                Interface = Interface,
                Protocol = Protocol,
                Family = Family,
                Vhid = Vhid,
                Master = last.Address,
                Mac = last.Mac,
                Masters = [.. Senders.Values.Where(s => !s.State.Leaving && now - s.State.LastSeen <= s.State.MasterDown)
                    .OrderByDescending(s => s.State.LastSeen).Select(s => s.State.Address)],
                Senders = [.. Senders.Values.Select(s => s.State).OrderBy(s => s.FirstSeen)],
                AdvBase = last.AdvBase,
                AdvSkew = last.Leaving && Protocol == SegmentProtocol.Carp ? byte.MaxValue : last.AdvSkew,
                Demote = last.Demote,
                Priority = last.Leaving ? (byte)0 : last.Priority,
                Interval = last.Interval,
                Addresses = Last.Addresses ?? [],
                LastSeen = LastSeen,
                At = now,
                Adverts = Adverts,
                HmacFailures = HmacFailures,
                HmacVerified = HmacVerified,
                Findings = Findings,
            };
        }
    }
}
