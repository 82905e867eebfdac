using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carpd.Control;

/// <summary>The control methods: each request's params mapped to an <see cref="ICarpService"/> call and its result.</summary>
internal sealed partial class ControlConnection
{
    private (Action<Utf8JsonWriter> WriteResult, Action? AfterReply) Dispatch(string method, JsonElement? parameters)
    {
        var context = CarpdJsonContext.Default;
        if (TryDispatchTracker(method, parameters, out var tracked))
        {
            return tracked;
        }

        switch (method)
        {
            case CarpdProtocol.Methods.GetInterfaces:
                IReadOnlyList<InterfaceStatusDto> list = [.. _service.GetInterfaces().Select(ControlMapper.ToDto)];
                return (JsonRpc.Value(list, context.IReadOnlyListInterfaceStatusDto), null);

            case CarpdProtocol.Methods.CreateInterface:
            {
                var config = ControlMapper.FromDto(Params(method, parameters, context.InterfaceConfigDto));
                var status = _service.CreateInterface(config);
                Log(CarpLogLevel.Info, $"created {config.Name} (vhid {config.Vhid} on {config.CarpDev})");
                return (JsonRpc.Value(ControlMapper.ToDto(status), context.InterfaceStatusDto), null);
            }

            case CarpdProtocol.Methods.SetInterface:
            {
                var (name, change) = ControlMapper.FromDto(Params(method, parameters, context.InterfaceChangeDto));
                var status = _service.SetInterface(name, change);
                Log(CarpLogLevel.Info, $"changed {name}");
                return (JsonRpc.Value(ControlMapper.ToDto(status), context.InterfaceStatusDto), null);
            }

            case CarpdProtocol.Methods.RemoveInterface:
            {
                var name = Params(method, parameters, context.NameParamsDto).Name;
                if (string.IsNullOrEmpty(name))
                {
                    throw new CarpException(CarpErrorCode.InvalidInterfaceName, "removeInterface needs the \"name\" of the interface.");
                }

                _service.RemoveInterface(name);
                Log(CarpLogLevel.Info, $"removed {name}");
                return (JsonRpc.Null, null);
            }

            case CarpdProtocol.Methods.TestPass:
            {
                // Not logged: the answer says whether a guessed pass is right, and the request carries it.
                var request = Params(method, parameters, context.TestPassParamsDto);
                if (string.IsNullOrEmpty(request.Name))
                {
                    throw new CarpException(CarpErrorCode.InvalidInterfaceName, "testPass needs the \"name\" of the interface.");
                }

                var matches = _service.PassMatches(request.Name, request.Pass?.ToKey() ?? CarpKey.Empty);
                return (JsonRpc.Value(matches, context.Boolean), null);
            }

            case CarpdProtocol.Methods.GetSysctls:
                return (JsonRpc.Value(ControlMapper.ToDto(_service.GetSysctls()), context.DictionaryStringInt64), null);

            case CarpdProtocol.Methods.SetSysctl:
            {
                var request = Params(method, parameters, context.SetSysctlParamsDto);
                if (string.IsNullOrEmpty(request.Name) || request.Value is null)
                {
                    throw new CarpException(CarpErrorCode.InvalidArgument, "setSysctl needs a \"name\" and an integer \"value\", e.g. {\"name\": \"preempt\", \"value\": 1}.");
                }

                var sysctls = _service.SetSysctl(request.Name, request.Value.Value);
                Log(CarpLogLevel.Info, $"set sysctl {request.Name}={request.Value}");
                return (JsonRpc.Value(ControlMapper.ToDto(sysctls), context.DictionaryStringInt64), null);
            }

            case CarpdProtocol.Methods.GetStatistics:
                return (JsonRpc.Value(ControlMapper.ToDto(_service.GetStatistics()), context.DictionaryStringInt64), null);

            case CarpdProtocol.Methods.ResetStatistics:
                _service.ResetStatistics();
                Log(CarpLogLevel.Info, "statistics reset");
                return (JsonRpc.Null, null);

            case CarpdProtocol.Methods.Subscribe:
                return (JsonRpc.Value(true, context.Boolean), Subscribe());

            case CarpdProtocol.Methods.Reload:
            {
                var reload = _options.Reload ?? throw new CarpException(CarpErrorCode.InvalidArgument,
                    "carpd runs without --config: there is no configuration file to reload.");
                return (JsonRpc.Value(reload(), context.ConfigurationReloadResult), null);
            }

            case CarpdProtocol.Methods.GetState:
                return (GetState(), null);

            case CarpdProtocol.Methods.Ping:
                return (JsonRpc.Value("pong", context.String), null);

            case CarpdProtocol.Methods.Version:
                return (JsonRpc.Value(new VersionDto { Version = CarpdProtocol.ProductVersion, Protocol = CarpdProtocol.Version }, context.VersionDto), null);

            case CarpdProtocol.Methods.WatchNetwork:
                return WatchNetwork(parameters);

            default:
                throw new RpcException(CarpdProtocol.ErrorCodes.MethodNotFound, $"There is no method '{method}'.", CarpErrorCode.InvalidArgument,
                    "Use getInterfaces, createInterface, setInterface, removeInterface, testPass, getSysctls, setSysctl, getStatistics, resetStatistics, subscribe, reload, getState, ping, version or watchNetwork.");
        }
    }

    private static T Params<T>(string method, JsonElement? parameters, JsonTypeInfo<T> typeInfo)
    {
        if (parameters is not { } element)
        {
            throw new RpcException(CarpdProtocol.ErrorCodes.InvalidParams, $"{method} needs params.", CarpErrorCode.InvalidArgument,
                "See docs/carpd-protocol.md for the params of each method.");
        }

        try
        {
            return element.Deserialize(typeInfo) ?? throw new JsonException();
        }
        catch (JsonException ex)
        {
            // The serializer's message may quote the offending value (which could be a pass): report only where.
            throw new RpcException(CarpdProtocol.ErrorCodes.InvalidParams,
                $"The params of {method} are not valid at {ex.Path ?? "$"}.", CarpErrorCode.InvalidArgument,
                "See docs/carpd-protocol.md for the params of each method.");
        }
    }
}
