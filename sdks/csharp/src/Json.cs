// A small JSON reader and writer, so that the SDK needs no package and no reflection: Unity's IL2CPP builds strip
// and pre-compile code, and serializers driven by reflection (DataContractJsonSerializer, Newtonsoft) need link.xml
// entries and AOT hints there; this one is plain code that every profile (Mono, .NET Standard 2.0, IL2CPP) runs.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace LightSpeedPay
{
    /// <summary>A JSON object as the API answered it: values are string, long, double, bool, null,
    /// JsonObject or List&lt;object&gt;.</summary>
    public sealed class JsonObject : IEnumerable<KeyValuePair<string, object>>
    {
        readonly Dictionary<string, object> fields = new Dictionary<string, object>(StringComparer.Ordinal);

        public object this[string name]
        {
            get { object value; return fields.TryGetValue(name, out value) ? value : null; }
            set { fields[name] = value; }
        }

        public bool ContainsKey(string name) { return fields.ContainsKey(name); }
        public ICollection<string> Keys { get { return fields.Keys; } }
        public int Count { get { return fields.Count; } }

        public string GetString(string name)
        {
            var value = this[name];
            if (value == null) return null;
            var text = value as string;
            if (text != null) return text;
            if (value is bool) return (bool)value ? "true" : "false";
            return Convert.ToString(value, CultureInfo.InvariantCulture);
        }

        public long GetLong(string name, long fallback = 0)
        {
            var value = this[name];
            if (value is long) return (long)value;
            if (value is double) return (long)(double)value;
            long parsed;
            var text = value as string;
            return text != null && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out parsed)
                ? parsed : fallback;
        }

        public long? GetNullableLong(string name)
        {
            var value = this[name];
            if (value is long) return (long)value;
            if (value is double) return (long)(double)value;
            return null;
        }

        public bool GetBool(string name, bool fallback = false)
        {
            var value = this[name];
            return value is bool ? (bool)value : fallback;
        }

        public DateTimeOffset? GetTime(string name)
        {
            var text = this[name] as string;
            DateTimeOffset parsed;
            if (text != null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal, out parsed))
                return parsed;
            return null;
        }

        public JsonObject GetObject(string name) { return this[name] as JsonObject; }

        public List<object> GetArray(string name) { return this[name] as List<object> ?? new List<object>(); }

        public List<string> GetStrings(string name)
        {
            var strings = new List<string>();
            foreach (var item in GetArray(name))
                if (item is string) strings.Add((string)item);
            return strings;
        }

        public IEnumerator<KeyValuePair<string, object>> GetEnumerator() { return fields.GetEnumerator(); }
        IEnumerator IEnumerable.GetEnumerator() { return fields.GetEnumerator(); }

        public override string ToString() { return Json.Write(this); }
    }

    public sealed class JsonException : FormatException
    {
        public JsonException(string message) : base(message) { }
    }

    public static class Json
    {
        /// <summary>Parses JSON text: a JsonObject, a List&lt;object&gt;, a string, a long (a double when the
        /// number has a fraction or exponent), a bool or null.</summary>
        public static object Parse(string text)
        {
            var reader = new Reader(text ?? "");
            reader.SkipSpace();
            var value = reader.ReadValue(0);
            reader.SkipSpace();
            if (!reader.AtEnd) throw reader.Fail("unexpected text after the JSON value");
            return value;
        }

        public static JsonObject ParseObject(string text)
        {
            var value = Parse(text) as JsonObject;
            if (value == null) throw new JsonException("expected a JSON object");
            return value;
        }

        /// <summary>Compact JSON of: null, string, bool, integer and floating numbers, JsonObject, any
        /// IDictionary with string keys, any other IEnumerable (an array).</summary>
        public static string Write(object value)
        {
            var output = new StringBuilder();
            WriteValue(output, value, 0);
            return output.ToString();
        }

        const int MaxDepth = 64;

        static void WriteValue(StringBuilder output, object value, int depth)
        {
            if (depth > MaxDepth) throw new JsonException("nested too deeply");
            if (value == null) { output.Append("null"); return; }
            var text = value as string;
            if (text != null) { WriteString(output, text); return; }
            if (value is bool) { output.Append((bool)value ? "true" : "false"); return; }
            if (value is int || value is long || value is short || value is byte || value is uint || value is ulong
                || value is ushort || value is sbyte)
            {
                output.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            }
            if (value is double || value is float || value is decimal)
            {
                var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsNaN(number) || double.IsInfinity(number)) throw new JsonException("not a JSON number");
                output.Append(value is decimal
                    ? ((decimal)value).ToString(CultureInfo.InvariantCulture)
                    : number.ToString("R", CultureInfo.InvariantCulture));
                return;
            }
            if (value is DateTimeOffset)
            {
                WriteString(output, ((DateTimeOffset)value).ToString("o", CultureInfo.InvariantCulture));
                return;
            }
            var json = value as JsonObject;
            if (json != null) { WriteMembers(output, json, depth); return; }
            var dictionary = value as IDictionary;
            if (dictionary != null)
            {
                var entries = new List<KeyValuePair<string, object>>();
                foreach (DictionaryEntry entry in dictionary)
                    entries.Add(new KeyValuePair<string, object>(Convert.ToString(entry.Key, CultureInfo.InvariantCulture), entry.Value));
                WriteMembers(output, entries, depth);
                return;
            }
            // IDictionary<string, T> without the non-generic IDictionary (ExpandoObject, read-only dictionaries)
            var members = value as IEnumerable<KeyValuePair<string, object>>;
            if (members != null) { WriteMembers(output, members, depth); return; }
            var texts = value as IEnumerable<KeyValuePair<string, string>>;
            if (texts != null)
            {
                var copied = new List<KeyValuePair<string, object>>();
                foreach (var pair in texts) copied.Add(new KeyValuePair<string, object>(pair.Key, pair.Value));
                WriteMembers(output, copied, depth);
                return;
            }
            var items = value as IEnumerable;
            if (items != null)
            {
                output.Append('[');
                var first = true;
                foreach (var item in items)
                {
                    if (!first) output.Append(',');
                    first = false;
                    WriteValue(output, item, depth + 1);
                }
                output.Append(']');
                return;
            }
            throw new JsonException("cannot write a " + value.GetType().Name + " as JSON");
        }

        static void WriteMembers(StringBuilder output, IEnumerable<KeyValuePair<string, object>> members, int depth)
        {
            output.Append('{');
            var first = true;
            foreach (var member in members)
            {
                if (!first) output.Append(',');
                first = false;
                WriteString(output, member.Key);
                output.Append(':');
                WriteValue(output, member.Value, depth + 1);
            }
            output.Append('}');
        }

        static void WriteString(StringBuilder output, string text)
        {
            output.Append('"');
            foreach (var c in text)
            {
                switch (c)
                {
                    case '"': output.Append("\\\""); break;
                    case '\\': output.Append("\\\\"); break;
                    case '\n': output.Append("\\n"); break;
                    case '\r': output.Append("\\r"); break;
                    case '\t': output.Append("\\t"); break;
                    case '\b': output.Append("\\b"); break;
                    case '\f': output.Append("\\f"); break;
                    default:
                        if (c < 0x20) output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else output.Append(c);
                        break;
                }
            }
            output.Append('"');
        }

        sealed class Reader
        {
            readonly string text;
            int position;

            public Reader(string text) { this.text = text; }

            public bool AtEnd { get { return position >= text.Length; } }

            public JsonException Fail(string reason)
            {
                return new JsonException("invalid JSON at character " + position + ": " + reason);
            }

            public void SkipSpace()
            {
                while (position < text.Length && (text[position] == ' ' || text[position] == '\t'
                        || text[position] == '\n' || text[position] == '\r'))
                    position++;
            }

            public object ReadValue(int depth)
            {
                if (depth > MaxDepth) throw Fail("nested too deeply");
                if (AtEnd) throw Fail("unexpected end");
                var c = text[position];
                if (c == '{') return ReadObject(depth);
                if (c == '[') return ReadArray(depth);
                if (c == '"') return ReadString();
                if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                if (Take("true")) return true;
                if (Take("false")) return false;
                if (Take("null")) return null;
                throw Fail("unexpected character '" + c + "'");
            }

            bool Take(string word)
            {
                if (string.CompareOrdinal(text, position, word, 0, word.Length) != 0) return false;
                position += word.Length;
                return true;
            }

            void Expect(char c)
            {
                if (AtEnd || text[position] != c) throw Fail("expected '" + c + "'");
                position++;
            }

            JsonObject ReadObject(int depth)
            {
                var result = new JsonObject();
                Expect('{');
                SkipSpace();
                if (!AtEnd && text[position] == '}') { position++; return result; }
                while (true)
                {
                    SkipSpace();
                    if (AtEnd || text[position] != '"') throw Fail("expected a member name");
                    var name = ReadString();
                    SkipSpace();
                    Expect(':');
                    SkipSpace();
                    result[name] = ReadValue(depth + 1);
                    SkipSpace();
                    if (!AtEnd && text[position] == ',') { position++; continue; }
                    Expect('}');
                    return result;
                }
            }

            List<object> ReadArray(int depth)
            {
                var result = new List<object>();
                Expect('[');
                SkipSpace();
                if (!AtEnd && text[position] == ']') { position++; return result; }
                while (true)
                {
                    SkipSpace();
                    result.Add(ReadValue(depth + 1));
                    SkipSpace();
                    if (!AtEnd && text[position] == ',') { position++; continue; }
                    Expect(']');
                    return result;
                }
            }

            string ReadString()
            {
                Expect('"');
                var result = new StringBuilder();
                while (true)
                {
                    if (AtEnd) throw Fail("unterminated string");
                    var c = text[position++];
                    if (c == '"') return result.ToString();
                    if (c < 0x20) throw Fail("control character in a string");
                    if (c != '\\') { result.Append(c); continue; }
                    if (AtEnd) throw Fail("unterminated escape");
                    var escaped = text[position++];
                    switch (escaped)
                    {
                        case '"': result.Append('"'); break;
                        case '\\': result.Append('\\'); break;
                        case '/': result.Append('/'); break;
                        case 'b': result.Append('\b'); break;
                        case 'f': result.Append('\f'); break;
                        case 'n': result.Append('\n'); break;
                        case 'r': result.Append('\r'); break;
                        case 't': result.Append('\t'); break;
                        case 'u':
                            int code;
                            if (position + 4 > text.Length || !int.TryParse(text.Substring(position, 4),
                                    NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out code))
                                throw Fail("bad \\u escape");
                            result.Append((char)code);
                            position += 4;
                            break;
                        default: throw Fail("bad escape");
                    }
                }
            }

            object ReadNumber()
            {
                var start = position;
                if (text[position] == '-') position++;
                var integral = true;
                while (position < text.Length)
                {
                    var c = text[position];
                    if (c >= '0' && c <= '9') { position++; continue; }
                    if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') { integral = false; position++; continue; }
                    break;
                }
                var number = text.Substring(start, position - start);
                long whole;
                if (integral && long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out whole))
                    return whole;
                double real;
                if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out real)) return real;
                throw Fail("bad number " + number);
            }
        }
    }
}
