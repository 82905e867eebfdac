using System.Text.Json.Serialization;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Control;

/// <summary>Source-generated System.Text.Json metadata for every shape of the control protocol.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    AllowOutOfOrderMetadataProperties = true,
    RespectNullableAnnotations = false,
    MaxDepth = 16)]
[JsonSerializable(typeof(InterfaceStatusDto))]
[JsonSerializable(typeof(IReadOnlyList<InterfaceStatusDto>))]
[JsonSerializable(typeof(InterfaceConfigDto))]
[JsonSerializable(typeof(InterfaceChangeDto))]
[JsonSerializable(typeof(NameParamsDto))]
[JsonSerializable(typeof(TestPassParamsDto))]
[JsonSerializable(typeof(SetSysctlParamsDto))]
[JsonSerializable(typeof(Dictionary<string, long>))]
[JsonSerializable(typeof(VersionDto))]
[JsonSerializable(typeof(ConfigurationReloadResult))]
[JsonSerializable(typeof(ErrorDataDto))]
[JsonSerializable(typeof(EventDto))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(CarpdStateDto))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
[JsonSerializable(typeof(WatchNetworkParamsDto))]
[JsonSerializable(typeof(WatchNetworkResultDto))]
[JsonSerializable(typeof(TrackerDto))]
[JsonSerializable(typeof(IReadOnlyList<TrackerDto>))]
internal sealed partial class CarpdJsonContext : JsonSerializerContext
{
}
