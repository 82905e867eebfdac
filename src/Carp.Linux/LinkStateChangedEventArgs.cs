namespace Carp.Linux;

/// <summary>A link appeared, disappeared, or went up/down.</summary>
public sealed class LinkStateChangedEventArgs : EventArgs
{
    public LinkStateChangedEventArgs(string name, int index, bool isUp, LinkFlags flags, bool removed)
    {
        Name = name;
        Index = index;
        IsUp = isUp;
        Flags = flags;
        Removed = removed;
    }

    /// <summary>Interface name.</summary>
    public string Name { get; }

    /// <summary>Interface index (in the monitored namespace).</summary>
    public int Index { get; }

    /// <summary>IFF_UP and carrier (IFF_LOWER_UP or IFF_RUNNING); false when removed.</summary>
    public bool IsUp { get; }

    /// <summary>The raw IFF_* flags of the notification.</summary>
    public LinkFlags Flags { get; }

    /// <summary>The link was deleted (RTM_DELLINK).</summary>
    public bool Removed { get; }

    public override string ToString() => $"{Name}#{Index} {(Removed ? "removed" : IsUp ? "up" : "down")}";
}
