using Carp.Control;
using Carp.Engine.Hosting;

namespace Carpd.Control;

/// <summary>The engine's part of <c>getState</c>: interfaces, maintenance, sysctls and statistics, each read through <see cref="ICarpService"/>.</summary>
internal static class CarpdState
{
    public static CarpdStateDto Read(ICarpService service, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(service);
        var interfaces = service.GetInterfaces();
        return new CarpdStateDto
        {
            Version = CarpdProtocol.ProductVersion,
            Protocol = CarpdProtocol.Version,
            Timestamp = time.GetUtcNow(),
            Interfaces = [.. interfaces.Select(ControlMapper.ToDto)],
            Maintenance = [.. interfaces.Where(i => i.Maintenance).Select(i => i.Name)],
            Sysctls = ControlMapper.ToDto(service.GetSysctls()),
            Statistics = ControlMapper.ToDto(service.GetStatistics()),
        };
    }
}
