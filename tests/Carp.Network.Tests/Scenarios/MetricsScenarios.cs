using System.Globalization;
using Carp.Engine.Core;
using Carp.Testbed;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// carpd's Prometheus metrics on a real failover: two carpd with <c>metrics listen</c>, each scraped with curl from inside
/// its own namespace; the master stops and the backup's <c>carp_vhost_state</c> moves to master and its transitions grow.
/// The listener is loopback only, speaks enough HTTP for Prometheus, and follows a reload.
/// </summary>
public sealed class MetricsScenarios
{
    private const string Carp1 = "interface=\"carp1\",vhid=\"1\",carpdev=\"eth0\",protocol=\"carp\"";

    [Fact]
    public void Scraped_in_its_namespace_the_backup_moves_to_master_and_counts_the_transition_when_the_master_stops()
    {
        using var s = new Scenario();
        var n1 = s.Node(1);
        var n2 = s.Node(2);
        var a = CarpdProcess.Start(s, "carpd1", n1.Namespace, Config(s, "n1.conf", 0, "metrics listen"));
        var conf2 = Config(s, "n2.conf", 100, "metrics listen 127.0.0.1:9651");
        var b = CarpdProcess.Start(s, "carpd2", n2.Namespace, conf2);
        a.WaitState(CarpState.Master, TimeSpan.FromSeconds(10));
        b.WaitState(CarpState.Backup, TimeSpan.FromSeconds(3));
        Assert.True(Scenario.Eventually(() => Value(Scrape(s, n2.Namespace), $"carp_vhost_master_info{{{Carp1},master=\"{n1.IPv4}\"}}") == 1, TimeSpan.FromSeconds(3)),
            "the backup's metrics never named the master");

        var before = Scrape(s, n2.Namespace);
        Assert.Equal(1, Value(before, "carp_up"));
        Assert.Equal(1, Value(before, $"carp_vhost_state{{{Carp1},state=\"backup\"}}"));
        Assert.Equal(0, Value(before, $"carp_vhost_state{{{Carp1},state=\"master\"}}"));
        Assert.Equal(1, Value(before, $"carp_vhost_transitions_total{{{Carp1},reason=\"Started\"}}"));
        Assert.DoesNotContain("reason=\"Preempt\"", before, StringComparison.Ordinal);
        Assert.True(Value(before, "carp_adverts_received_total{family=\"ipv4\"}") > 0);
        Assert.DoesNotContain("foobar", before, StringComparison.Ordinal);
        var master = Scrape(s, n1.Namespace);
        Assert.Equal(1, Value(master, $"carp_vhost_state{{{Carp1},state=\"master\"}}"));
        var sentBefore = Value(master, "carp_adverts_sent_total{family=\"ipv4\"}");
        Assert.True(sentBefore > 0);

        // Loopback only: from the master's namespace the backup's LAN address has no metrics port.
        var remote = s.Exec(n1.Namespace, "curl", "-s", "-m", "3", $"http://{n2.IPv4}:9651/metrics");
        Assert.Equal(7, remote.ExitCode); // curl: could not connect

        // Enough HTTP for Prometheus and nothing more.
        Assert.Matches(@"^HTTP/1\.1 200 OK\r\nContent-Type: text/plain; version=0\.0\.4; charset=utf-8\r\nContent-Length: [1-9]",
            s.Exec(n2.Namespace, "curl", "-s", "-m", "5", "-I", "http://127.0.0.1:9651/metrics").StandardOutput);
        Assert.Equal("404", Status(s, n2.Namespace, "http://127.0.0.1:9651/secrets"));
        Assert.Equal("405", Status(s, n2.Namespace, "http://127.0.0.1:9651/metrics", "-X", "POST"));

        // The master stops (SIGTERM: it bows out); the backup takes over at once (preempt on: the reason is Preempt).
        a.Signal("TERM");
        b.WaitState(CarpState.Master, TimeSpan.FromSeconds(5));
        var after = Scrape(s, n2.Namespace);
        Assert.Equal(1, Value(after, $"carp_vhost_state{{{Carp1},state=\"master\"}}"));
        Assert.Equal(0, Value(after, $"carp_vhost_state{{{Carp1},state=\"backup\"}}"));
        Assert.Equal(2, Value(after, $"carp_vhost_state_code{{{Carp1}}}"));
        Assert.Equal(1, Value(after, $"carp_vhost_transitions_total{{{Carp1},reason=\"Preempt\"}}"));
        Assert.Equal(1, Value(after, "carp_preemptions_total"));
        Assert.True(Value(after, $"carp_vhost_last_transition_timestamp_seconds{{{Carp1}}}") > Value(before, $"carp_vhost_last_transition_timestamp_seconds{{{Carp1}}}"));
        Assert.True(Scenario.Eventually(() => Value(Scrape(s, n2.Namespace), "carp_adverts_sent_total{family=\"ipv4\"}") > 0, TimeSpan.FromSeconds(3)),
            "the new master's adverts are not counted");

        // A reload moves the listener: the old port closes, the new one serves.
        SecretFile.Write(conf2, File.ReadAllText(conf2).Replace("127.0.0.1:9651", "[::1]:9652", StringComparison.Ordinal));
        b.Client.Reload();
        Assert.Equal(1, Value(Scrape(s, n2.Namespace, "http://[::1]:9652/metrics"), $"carp_vhost_state{{{Carp1},state=\"master\"}}"));
        Assert.Equal(7, s.Exec(n2.Namespace, "curl", "-s", "-m", "3", "http://127.0.0.1:9651/metrics").ExitCode);
        s.Measure($"metrics: one scrape of carpd with one vhost, {Value(after, "carp_up")} up, {Scrape(s, n2.Namespace, "http://[::1]:9652/metrics").Length} bytes");
    }

    private static string Config(Scenario s, string fileName, byte advSkew, string metrics) =>
        SecretFile.Write(Path.Combine(s.WorkDirectory, fileName),
            $"net.inet.carp.preempt=1\ncarp1 vhid 1 carpdev eth0 pass foobar advbase 1 advskew {advSkew} 192.0.2.1/24\n{metrics}\n");

    internal static string Scrape(Scenario s, string ns, string url = "http://127.0.0.1:9651/metrics")
    {
        var result = s.Exec(ns, "curl", "-s", "-S", "-f", "-m", "5", url);
        Assert.True(result.ExitCode == 0, $"curl {url} in {ns}: {result.StandardError}");
        return result.StandardOutput;
    }

    private static string Status(Scenario s, string ns, string url, params string[] extra) =>
        s.Exec(ns, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5", .. extra, url]).StandardOutput;

    internal static double Value(string text, string series)
    {
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
