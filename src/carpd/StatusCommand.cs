using System.Globalization;
using System.Text;
using System.Text.Json;
using Carp.Control;
using Carp.Engine.Core;
using Carpd.Configuration;

namespace Carpd;

/// <summary>
/// <c>carpd --status [--json] [--output FILE]</c>: asks the running carpd for its state (<c>getState</c>) and prints it,
/// one line per interface or, with --json, the whole state as indented JSON. With --output the text goes to FILE
/// atomically (a reader never sees half a state), mode 0644: the state holds no secret (interfaces say only whether
/// they have a pass), so a monitoring agent that is not root may read it. Exit 0, or 1 when carpd cannot be asked.
/// </summary>
internal static class StatusCommand
{
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static int Run(CarpdOptions options, TextWriter stdout, TextWriter stderr)
    {
        byte[] text;
        try
        {
            using var client = new CarpdClient(options.SocketPath);
            var state = client.GetState();
            text = options.Json ? Indented(state) : Encoding.UTF8.GetBytes(Summary(state));
        }
        catch (CarpException ex)
        {
            stderr.WriteLine($"carpd: {CarpdAdvice.Describe(ex)}");
            return 1;
        }

        if (options.OutputPath is null)
        {
            stdout.Write(Encoding.UTF8.GetString(text));
            stdout.Flush();
            return 0;
        }

        try
        {
            AtomicFile.WriteAllBytes(options.OutputPath, text, FileMode);
            return 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"carpd: cannot write {options.OutputPath}: {ex.Message}");
            return 1;
        }
    }

    private static byte[] Indented(JsonElement state)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping: "+00:00", not "\u002B00:00", for people reading it; the file is not embedded in HTML.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            state.WriteTo(writer);
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>One line per interface: name, vhid, carpdev, state (maintenance), master seen, last transition.</summary>
    private static string Summary(JsonElement state)
    {
        var text = new StringBuilder();
        var interfaces = state.TryGetProperty("interfaces", out var list) ? list.EnumerateArray().ToList() : [];
        if (interfaces.Count == 0)
        {
            text.AppendLine("carpd runs no interface.");
        }

        foreach (var i in interfaces)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Get(i, "name")} vhid {Get(i, "vhid")} on {Get(i, "carpdev")}: {Get(i, "state")}");
            if (i.TryGetProperty("maintenance", out var maintenance) && maintenance.ValueKind == JsonValueKind.True)
            {
                text.Append(" (maint)");
            }

            if (Get(i, "masterSeen") is { Length: > 0 } master)
            {
                text.Append(" master seen ").Append(master);
            }

            if (Get(i, "lastTransitionReason") is { Length: > 0 } reason)
            {
                text.Append(CultureInfo.InvariantCulture, $", last change {reason} at {Get(i, "lastTransition")}");
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private static string Get(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() ?? string.Empty : value.GetRawText() : string.Empty;
}
