namespace Carp.Network.Tests; public class Smoke { [Fact] public void Builds() => Assert.NotNull(typeof(Carp.Engine.Core.CarpState)); }
