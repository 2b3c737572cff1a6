-- wrk script: server-side apply of small ConfigMaps, cycling over 5,000 names (creates, then
-- updates), as kubectl apply --server-side sends them.
local counter = 0
local token = os.getenv("SIM_TOKEN") or "bench-token"
request = function()
  counter = counter + 1
  local name = "bench-" .. (counter % 5000)
  local body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"' .. name ..
    '","namespace":"default","labels":{"app":"bench"}},"data":{"key":"value-' .. (counter % 7) .. '"}}'
  return wrk.format("PATCH", "/api/v1/namespaces/default/configmaps/" .. name ..
    "?fieldManager=bench&force=true", {
      ["Content-Type"] = "application/apply-patch+yaml",
      ["Authorization"] = "Bearer " .. token,
    }, body)
end
