using System.Net;
using Carp.Engine.Core;
using Carpd.Configuration;

namespace Carpd.Tests;

/// <summary>The <c>metrics listen</c> statement: parsed, refused with the file's line, warned about, kept when carpd saves.</summary>
public sealed class MetricsConfigurationTests
{
    private const string Carp1 = "carp1 vhid 1 carpdev eth0 192.0.2.100/24\n";

    [Fact]
    public void Without_a_metrics_line_metrics_are_off()
    {
        Assert.Null(CarpdConfiguration.Parse(Carp1).Metrics);
    }

    [Fact]
    public void Metrics_listen_alone_is_loopback_on_the_default_port()
    {
        var configuration = CarpdConfiguration.Parse(Carp1 + "metrics listen\n");
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9651), configuration.Metrics!.Listen);
        Assert.True(configuration.Metrics.IsLoopback);
        Assert.Empty(configuration.Warnings);
    }

    [Theory]
    [InlineData("127.0.0.1:9100", "127.0.0.1", 9100)]
    [InlineData("[::1]:9652", "::1", 9652)]
    [InlineData("[::1]", "::1", 9651)]
    [InlineData("127.0.0.2", "127.0.0.2", 9651)]
    public void Metrics_listen_takes_an_IPv4_or_bracketed_IPv6_address_and_a_port(string endpoint, string address, int port)
    {
        var configuration = CarpdConfiguration.Parse($"metrics listen {endpoint}\n" + Carp1);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), configuration.Metrics!.Listen);
        Assert.Single(configuration.Interfaces);
    }

    [Theory]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:http")]
    [InlineData("::1:9651")]
    [InlineData("localhost:9651")]
    [InlineData("127.1:9651")]
    [InlineData("[::1]x")]
    [InlineData("[127.0.0.1]:9651")]
    [InlineData("[fe80::1%eth0]:9651")]
    public void A_malformed_address_is_refused_with_the_file_and_line(string endpoint)
    {
        var error = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Parse(Carp1 + $"metrics listen {endpoint}\n", "fw1.conf"));
        Assert.Equal(2, error.Line);
        Assert.Equal(CarpErrorCode.InvalidAddress, error.Code);
        Assert.StartsWith("fw1.conf:2:", error.Message, StringComparison.Ordinal);
        Assert.Contains("metrics listen", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("metrics")]
    [InlineData("metrics on")]
    [InlineData("metrics listen 127.0.0.1:9651 now")]
    public void A_metrics_line_without_listen_or_with_extra_words_is_refused(string line)
    {
        var error = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Parse(line + "\n"));
        Assert.Equal(1, error.Line);
        Assert.Equal(CarpErrorCode.InvalidArgument, error.Code);
    }

    [Fact]
    public void A_second_metrics_line_is_refused_naming_the_first()
    {
        var error = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Parse("metrics listen\n" + Carp1 + "metrics listen 127.0.0.1:9100\n"));
        Assert.Equal(3, error.Line);
        Assert.Contains("line 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_loopback_address_is_allowed_with_a_warning_naming_the_line()
    {
        var configuration = CarpdConfiguration.Parse(Carp1 + "metrics listen 192.0.2.10:9651\n", "fw1.conf");
        Assert.False(configuration.Metrics!.IsLoopback);
        var warning = Assert.Single(configuration.Warnings);
        Assert.StartsWith("fw1.conf:2: metrics listen 192.0.2.10:9651", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Carpd_keeps_the_metrics_line_and_its_comment_when_it_saves_a_change()
    {
        const string file = "# fw1\nmetrics listen 127.0.0.1:9100 # scraped by prometheus\n" + Carp1;
        var configuration = CarpdConfiguration.Parse(file);
        var saved = configuration.WithChange("carp1", new Carp.Engine.Hosting.InterfaceChange { AdvSkew = 100 }).Format(file);
        Assert.Equal("# fw1\nmetrics listen 127.0.0.1:9100 # scraped by prometheus\ncarp1 vhid 1 carpdev eth0 advskew 100 192.0.2.100/24\n", saved);
        Assert.Equal(configuration.Metrics, CarpdConfiguration.Parse(saved).Metrics);
    }

    [Fact]
    public void A_fresh_file_and_a_file_without_the_line_get_the_metrics_line_the_configuration_has()
    {
        var configuration = CarpdConfiguration.Parse(Carp1 + "metrics listen [::1]:9652\n");
        Assert.Contains("\nmetrics listen [::1]:9652\n", configuration.Format(), StringComparison.Ordinal);
        Assert.EndsWith("\nmetrics listen [::1]:9652\n", configuration.Format("# only a comment\n" + Carp1), StringComparison.Ordinal);
        Assert.DoesNotContain("metrics", CarpdConfiguration.Parse(Carp1).Format("metrics listen\n" + Carp1), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_config_describes_the_metrics_line()
    {
        Assert.Contains("metrics listen 127.0.0.1:9651", CarpdConfiguration.Parse(Carp1 + "metrics listen\n").Describe());
    }
}
