using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Carp.Engine.Core;

namespace Carp.Control;

/// <summary>Reads carpd's JSON-RPC answers: a result, or its error as the <see cref="CarpException"/> carpd raised.</summary>
internal static class CarpdResponse
{
    /// <summary>True when <paramref name="line"/> answers request <paramref name="id"/>; throws its error as a <see cref="CarpException"/>.</summary>
    public static bool TryRead<T>(ReadOnlyMemory<byte> line, long id, string method, JsonTypeInfo<T>? resultType, out T? result)
    {
        result = default;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw new CarpException(CarpErrorCode.ServiceError, $"carpd sent a line that is not JSON in reply to {method}.", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.TryGetProperty("method", out _))
            {
                return false; // a notification
            }

            var hasError = root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object;
            if (root.TryGetProperty("id", out var idElement))
            {
                var ours = idElement.ValueKind == JsonValueKind.Number && idElement.TryGetInt64(out var number) && number == id;
                // An error with id null answers a request the server could not read: ours, as we have one outstanding.
                if (!ours && !(hasError && idElement.ValueKind == JsonValueKind.Null))
                {
                    return false;
                }
            }

            if (hasError)
            {
                throw ToException(error, method);
            }

            if (resultType is not null && root.TryGetProperty("result", out var value) && value.ValueKind != JsonValueKind.Null)
            {
                try
                {
                    result = value.Deserialize(resultType);
                }
                catch (Exception ex) when (ex is JsonException or NotSupportedException)
                {
                    throw new CarpException(CarpErrorCode.ServiceError,
                        $"carpd's answer to {method} has an unexpected shape at {(ex as JsonException)?.Path ?? "$"}: carpd and this client speak different versions of the protocol.", ex);
                }
            }

            return true;
        }
    }

    private static CarpException ToException(JsonElement error, string method)
    {
        var rpcCode = error.TryGetProperty("code", out var codeElement) && codeElement.TryGetInt32(out var c) ? c : CarpdProtocol.ErrorCodes.InternalError;
        var message = error.TryGetProperty("message", out var messageElement) && messageElement.ValueKind == JsonValueKind.String
            ? messageElement.GetString()!
            : $"carpd refused {method}.";
        CarpErrorCode? code = null;
        if (error.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object &&
            data.TryGetProperty("code", out var name) && name.ValueKind == JsonValueKind.String &&
            Enum.TryParse<CarpErrorCode>(name.GetString(), ignoreCase: false, out var parsed) && Enum.IsDefined(parsed))
        {
            code = parsed;
        }

        code ??= rpcCode switch
        {
            CarpdProtocol.ErrorCodes.ParseError or CarpdProtocol.ErrorCodes.InvalidRequest or CarpdProtocol.ErrorCodes.InvalidParams => CarpErrorCode.InvalidArgument,
            _ => CarpErrorCode.ServiceError,
        };
        if (rpcCode == CarpdProtocol.ErrorCodes.MethodNotFound)
        {
            message += " (carpd is older than this client)";
        }

        // carpd's data.recommendedAction is worded for raw JSON-RPC clients; each front end words its own.
        return new CarpException(code.Value, message);
    }
}
