using System.Globalization;
using ScottPlot;

namespace CarpPS;

/// <summary>
/// A drill's timeline as a picture (ScottPlot, SVG and PNG): one row of adverts per node on a time axis in
/// milliseconds since the bow-out, a row of answers for the virtual address (ARP, echo) and announcements
/// (gratuitous ARP), the gap from the bow-out to the new master shaded, and the bound and the margin marked.
/// </summary>
internal static class FailoverTimelineChart
{
    private const int Width = 1000;
    private const int Height = 420;

    /// <summary>Writes &lt;folder&gt;/&lt;name&gt;-vhid&lt;n&gt;-&lt;time&gt;.svg and .png; returns their paths.</summary>
    public static IReadOnlyList<string> Write(CarpFailoverTestResult result, string folder)
    {
        NativeGraphics.EnsureResolvable();
        _ = Directory.CreateDirectory(folder);
        var stem = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture,
            $"{result.Name}-vhid{result.Vhid}-{result.StartTime.UtcDateTime:yyyyMMddTHHmmssZ}"));
        var plot = Draw(result);
        var svg = stem + ".svg";
        var png = stem + ".png";
        _ = plot.SaveSvg(svg, Width, Height);
        _ = plot.SavePng(png, Width, Height);
        return [svg, png];
    }

    private static Plot Draw(CarpFailoverTestResult result)
    {
        var plot = new Plot();
        var events = result.Timeline;
        var rows = events.Where(e => e.Kind is "Advert" or "BowOut" && e.Source is not null)
            .Select(e => e.Source!).Distinct(StringComparer.Ordinal)
            .OrderBy(s => s.EndsWith("(this node)", StringComparison.Ordinal) ? 0 : 1).ThenBy(s => s, StringComparer.Ordinal).ToList();
        var answers = rows.Count;
        var labels = rows.Select(r => "adverts " + r).Append("ARP / echo / GARP").ToArray();
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, labels.Length).Select(i => (double)i)], labels);

        Series(plot, events, e => e.Kind == "Advert", e => rows.IndexOf(e.Source!), MarkerShape.FilledCircle, Colors.SteelBlue, "advert");
        Series(plot, events, e => e.Kind == "BowOut", e => rows.IndexOf(e.Source!), MarkerShape.Cross, Colors.Red, "bow-out");
        Series(plot, events, e => e.Kind == "Garp", _ => answers, MarkerShape.FilledTriangleUp, Colors.DarkOrange, "gratuitous ARP");
        Series(plot, events, e => e.Kind == "ArpReply", _ => answers, MarkerShape.OpenSquare, Colors.Purple, "ARP reply");
        Series(plot, events, e => e.Kind == "EchoReply", _ => answers, MarkerShape.FilledDiamond, Colors.Green, "echo reply");

        var gapEnd = result.HandoverMs ?? result.OutageMs;
        if (gapEnd is { } end && end > 0)
        {
            var gap = plot.Add.HorizontalSpan(0, end, Colors.Red.WithAlpha(0.15));
            gap.LegendText = string.Create(CultureInfo.InvariantCulture, $"gap {end:0.#} ms");
        }

        Line(plot, 0, Colors.Red, LinePattern.Solid, "bow-out");
        Line(plot, result.BoundMs, Colors.DarkRed, LinePattern.Dashed, string.Create(CultureInfo.InvariantCulture, $"bound {result.BoundMs:0} ms"));
        Line(plot, result.BoundMs + result.MarginMs, Colors.Gray, LinePattern.Dotted, "bound + margin");
        foreach (var e in events.Where(e => e.Kind is "Resume" or "ForceMaster" && e.OffsetMs > 0))
        {
            Line(plot, e.OffsetMs, Colors.Black, LinePattern.DenselyDashed, e.Kind.ToLowerInvariant());
        }

        plot.Title($"{result.Name} vhid {result.Vhid} on {result.ComputerName}: {result.Verdict}");
        plot.XLabel("ms since the bow-out");
        var offsets = events.Select(e => e.OffsetMs).Append(0).Append(result.BoundMs + result.MarginMs).ToList();
        var span = offsets.Max() - offsets.Min();
        plot.Axes.SetLimits(offsets.Min() - (span * 0.05), offsets.Max() + (span * 0.05), -0.7, labels.Length - 0.3);
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    private static void Series(Plot plot, List<CarpFailoverEvent> events, Func<CarpFailoverEvent, bool> which, Func<CarpFailoverEvent, int> row,
        MarkerShape shape, Color color, string legend)
    {
        var chosen = events.Where(which).ToList();
        if (chosen.Count == 0)
        {
            return;
        }

        double[] xs = [.. chosen.Select(e => e.OffsetMs)];
        double[] ys = [.. chosen.Select(e => (double)row(e))];
        var markers = plot.Add.Markers(xs, ys, shape, 9, color);
        markers.LegendText = legend;
    }

    private static void Line(Plot plot, double x, Color color, LinePattern pattern, string text)
    {
        var line = plot.Add.VerticalLine(x, 1.5f, color, pattern);
        line.LabelText = text;
    }
}
