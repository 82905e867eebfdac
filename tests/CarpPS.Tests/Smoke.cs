namespace CarpPS.Tests; public class Smoke { [Fact] public void Builds() => Assert.NotNull(typeof(System.Management.Automation.PowerShell)); }
