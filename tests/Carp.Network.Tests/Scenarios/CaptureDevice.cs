using Carp.Linux;

namespace Carp.Network.Tests.Scenarios;

/// <summary>A test's own capture: a started <see cref="PacketDevice"/> in a namespace, or none at all if it could not start.</summary>
internal static class CaptureDevice
{
    public static PacketDevice Start(string ns, string ifname, string filter, Action<ReadOnlySpan<byte>> onFrame) =>
        NetworkNamespace.Run(ns, () =>
        {
            var device = new PacketDevice(ifname, onFrame, filter);
            try
            {
                device.Start();
            }
            catch
            {
                device.Dispose();
                throw;
            }

            return device;
        });
}
