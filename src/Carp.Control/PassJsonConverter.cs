using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Carp.Engine.Protocol;

namespace Carp.Control;

/// <summary>
/// Writes a <see cref="PassDto"/> with <see cref="Utf8JsonWriter.WriteBase64StringValue"/> from the
/// key bytes, and reads one by decoding the JSON string's UTF-8 into stack buffers that are zeroed
/// once the <see cref="CarpKey"/> is built. White space inside the base64 is allowed, as before.
/// </summary>
internal sealed class PassJsonConverter : JsonConverter<PassDto>
{
    // Far more than the 28 characters of a 20-byte key: room for escapes and white space.
    private const int MaxTextBytes = 256;
    private const int MaxDecodedBytes = MaxTextBytes / 4 * 3;

    public override PassDto Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            // Deserialization errors are reported by JSON path only: the value is never echoed.
            throw new JsonException();
        }

        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (length > MaxTextBytes)
        {
            return PassDto.TooLong;
        }

        Span<byte> text = stackalloc byte[MaxTextBytes];
        Span<byte> decoded = stackalloc byte[MaxDecodedBytes];
        try
        {
            var textLength = reader.CopyString(text); // unescapes \u002B and \/ as well
            var status = Base64.DecodeFromUtf8(text[..textLength], decoded, out _, out var keyLength);
            return status switch
            {
                OperationStatus.Done when keyLength <= CarpKey.MaxRawKeyBytes => new PassDto(CarpKey.FromRawKey(decoded[..keyLength])),
                OperationStatus.Done or OperationStatus.DestinationTooSmall => PassDto.TooLong,
                _ => PassDto.NotBase64,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(text);
            CryptographicOperations.ZeroMemory(decoded);
        }
    }

    public override void Write(Utf8JsonWriter writer, PassDto value, JsonSerializerOptions options) =>
        value.Key.WithBytes(writer, static (bytes, jsonWriter) => jsonWriter.WriteBase64StringValue(bytes));
}
