using System.Management.Automation;

namespace CarpPS.Tests;

/// <summary>The pass never appears in output objects, rendered text, errors, warnings or verbose text.</summary>
public sealed class SecretTests(ModuleFixture module)
{
    private const string Pass = "Zq9-sekrit-77";
    private const string LongPass = "Zq9-sekrit-77-and-then-some-more";

    [Fact]
    public void The_pass_is_in_no_stream_object_or_rendering()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var results = new List<RunResult>
        {
            ps.Run("""
                param($dev, $pass, $long)
                Register-CarpEvent -SourceIdentifier Everything
                New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Pass $pass -Address 192.0.2.1/24 -PassThru -Verbose
                New-CarpInterface -Name carp2 -Vhid 2 -CarpDev $dev -Pass $long -Address 192.0.2.2/24 -AdvBase 10 -PassThru -Verbose
                New-CarpInterface -Name carp3 -Vhid 1 -CarpDev $dev -Pass $pass -Address 192.0.2.3/24 -Verbose
                Set-CarpInterface carp2 -Pass $pass -WhatIf -Verbose
                Set-CarpInterface carp2 -Pass $long -Force -PassThru -Verbose
                Set-CarpInterface nosuch -Pass $pass -Verbose
                Wait-CarpState carp1 Master -Timeout 10 -Verbose
                Get-CarpInterface
                Get-CarpStatus
                Get-CarpStatus | Out-Default
                Get-CarpInterface | Out-Default
                Get-CarpSysctl
                Get-CarpStatistics
                Remove-CarpInterface carp2 -Verbose -Force
                """, dev, Pass, LongPass),
        };
        ps.Run("[Threading.Thread]::Sleep(200)");

        var all = results[0];
        Assert.NotEmpty(all.Output);
        Assert.Contains(all.Errors, e => e.FullyQualifiedErrorId.StartsWith("DuplicateVhid", StringComparison.Ordinal));
        Assert.Contains(all.Errors, e => e.FullyQualifiedErrorId.StartsWith("InterfaceNotFound", StringComparison.Ordinal));
        Assert.Equal(2, all.Warnings.Count(w => w.Message.Contains("19 bytes", StringComparison.Ordinal)));
        Assert.NotEmpty(all.Verbose);
        Assert.Contains("carp1", ps.Host.TestUI.Text);

        var texts = new List<string> { ps.Host.TestUI.Text };
        foreach (var result in results)
        {
            texts.AddRange(result.Output.Select(o => PSSerializer.Serialize(o, 5)));
            texts.AddRange(result.Output.Select(o => o.ToString()));
            foreach (var error in result.Errors)
            {
                texts.Add(error.ToString());
                texts.Add(error.Exception.ToString());
                texts.Add(error.ErrorDetails?.Message ?? string.Empty);
                texts.Add(error.ErrorDetails?.RecommendedAction ?? string.Empty);
                texts.Add(error.TargetObject?.ToString() ?? string.Empty);
            }

            texts.AddRange(result.Warnings.Select(w => w.Message));
            texts.AddRange(result.Verbose.Select(v => v.Message));
        }

        foreach (var e in ps.Runspace.Events.ReceivedEvents)
        {
            texts.Add(PSSerializer.Serialize(e.SourceEventArgs, 5));
        }

        Assert.NotEmpty(ps.Runspace.Events.ReceivedEvents);
        foreach (var text in texts)
        {
            Assert.DoesNotContain("sekrit", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void A_string_pass_and_a_SecureString_pass_give_the_same_key_and_truncation_keeps_19_bytes()
    {
        // Firewall 1 uses a plain string longer than 19 bytes; firewall 2 a SecureString of just its first 19 bytes.
        using var ps = new PsSession(module);
        var dev = PsSession.UniqueCarpDev();
        var result = ps.Run("""
            param($dev, $long)
            $secure = [securestring]::new()
            foreach ($c in $long.Substring(0, 19).ToCharArray()) { $secure.AppendChar($c) }
            $fw1 = Connect-CarpService -Simulation -CarpDev $dev -PassThru
            $fw2 = Connect-CarpService -Simulation -CarpDev $dev -PassThru
            # With preempt the better node wins even when a busy machine starts the other first.
            Set-CarpSysctl -Session $fw1 -Preempt $true
            Set-CarpSysctl -Session $fw2 -Preempt $true
            New-CarpInterface -Session $fw1 -Name carp1 -Vhid 1 -CarpDev $dev -Pass $long -Address 192.0.2.100/24 -WarningAction SilentlyContinue
            New-CarpInterface -Session $fw2 -Name carp1 -Vhid 1 -CarpDev $dev -Pass $secure -Address 192.0.2.100/24 -AdvSkew 100
            function WaitFor([scriptblock] $condition) {
                $deadline = [DateTime]::UtcNow.AddSeconds(10)
                while (-not (& $condition) -and [DateTime]::UtcNow -lt $deadline) { [Threading.Thread]::Sleep(100) }
            }
            Wait-CarpState -Session $fw1 carp1 Master -Timeout 10 | Out-Null
            WaitFor { (Get-CarpStatistics -Session $fw2).IPackets -gt 1 }
            (Get-CarpStatus -Session $fw2 carp1).State
            (Get-CarpStatistics -Session $fw2).BadAuth
            Set-CarpInterface -Session $fw2 carp1 -Pass 'something-else'
            Reset-CarpStatistics -Session $fw2
            WaitFor { (Get-CarpStatistics -Session $fw2).BadAuth -gt 0 }
            (Get-CarpStatistics -Session $fw2).BadAuth
            """, dev, LongPass).AssertNoErrors();
        Assert.Equal("Backup", result.Output[0].ToString());
        Assert.Equal(0L, result.Output[1].BaseObject);
        Assert.True((long)result.Output[2].BaseObject > 0, "a different pass was accepted");
    }

    [Fact]
    public void A_PSCredential_password_is_accepted_and_an_empty_pass_clears_it()
    {
        using var ps = new PsSession(module);
        var dev = ps.ConnectSimulation()[0];
        var result = ps.Run("""
            param($dev, $pass)
            $secure = [securestring]::new(); foreach ($c in $pass.ToCharArray()) { $secure.AppendChar($c) }
            $credential = [pscredential]::new('carp', $secure)
            New-CarpInterface -Name carp1 -Vhid 1 -CarpDev $dev -Pass $credential -Address 192.0.2.1/24 -AdvBase 10 -PassThru | ForEach-Object HasPass
            Set-CarpInterface carp1 -Pass '' -PassThru | ForEach-Object HasPass
            """, dev, Pass).AssertNoErrors();
        Assert.Equal([true, false], result.Output.Select(o => (bool)o.BaseObject));
    }
}
