using System.Text.Encodings.Web;
using System.Text.Json.Serialization.Metadata;
using System.Text.Json;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Control;

/// <summary>Writes JSON-RPC 2.0 envelopes as single '\n'-terminated UTF-8 lines; the caller zeroes a line that carries a pass.</summary>
internal static class JsonRpc
{
    // Not embedded in HTML: keep quotes and non-ASCII text readable instead of \u-escaping them.
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Request(long id, string method, Action<Utf8JsonWriter>? writeParams) => Line(writer =>
    {
        writer.WriteNumber("id", id);
        writer.WriteString("method", method);
        if (writeParams is not null)
        {
            writer.WritePropertyName("params");
            writeParams(writer);
        }
    });

    public static byte[] Result(JsonElement? id, Action<Utf8JsonWriter> writeResult) => Line(writer =>
    {
        WriteId(writer, id);
        writer.WritePropertyName("result");
        writeResult(writer);
    });

    public static byte[] Error(JsonElement? id, int code, string message, ErrorDataDto data) => Line(writer =>
    {
        WriteId(writer, id);
        writer.WritePropertyName("error");
        writer.WriteStartObject();
        writer.WriteNumber("code", code);
        writer.WriteString("message", message);
        writer.WritePropertyName("data");
        JsonSerializer.Serialize(writer, data, CarpdJsonContext.Default.ErrorDataDto);
        writer.WriteEndObject();
    });

    public static byte[] Notification(string method, Action<Utf8JsonWriter> writeParams) => Line(writer =>
    {
        writer.WriteString("method", method);
        writer.WritePropertyName("params");
        writeParams(writer);
    });

    public static Action<Utf8JsonWriter> Value<T>(T value, JsonTypeInfo<T> typeInfo) => writer => JsonSerializer.Serialize(writer, value, typeInfo);

    public static void Null(Utf8JsonWriter writer) => writer.WriteNullValue();

    private static void WriteId(Utf8JsonWriter writer, JsonElement? id)
    {
        writer.WritePropertyName("id");
        if (id is { } element)
        {
            element.WriteTo(writer);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    private static byte[] Line(Action<Utf8JsonWriter> writeMembers)
    {
        // A request may carry a pass: build it in a buffer that zeroes what it lets go of.
        using var buffer = new SecretBufferWriter(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writeMembers(writer);
            writer.WriteEndObject();
        }

        var line = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(line);
        line[^1] = (byte)'\n';
        return line;
    }
}
