-- A headless smoke test of kiln.lua (run by tests/lsp_neovim.rs when nvim is installed):
--   KILN_LUA=editors/neovim/kiln.lua nvim --headless -u NONE -c "luafile smoke.lua" FILE
-- Prints one line per check; the Rust test reads them.
vim.cmd("filetype on")
dofile(vim.env.KILN_LUA)
vim.cmd("edit " .. vim.fn.fnameescape(vim.env.KILN_FILE))
local attached = vim.wait(15000, function() return #vim.lsp.buf_get_clients(0) > 0 end, 50)
print("attached=" .. tostring(attached) .. " filetype=" .. vim.bo.filetype)
vim.api.nvim_buf_set_lines(0, 0, 0, false, { 'app x { imag = "r/x:1" }' })
vim.wait(15000, function() return #vim.diagnostic.get(0) > 0 end, 50)
for _, d in ipairs(vim.diagnostic.get(0)) do
  print("diagnostic=" .. tostring(d.code) .. " " .. d.message)
end
vim.api.nvim_buf_set_lines(0, 0, 1, false, {})
vim.wait(15000, function() return #vim.diagnostic.get(0, { severity = vim.diagnostic.severity.ERROR }) == 0 end, 50)
vim.cmd("KilnPreview")
vim.wait(15000, function() return vim.bo.filetype == "yaml" end, 50)
print("preview=" .. vim.bo.filetype .. " " .. tostring(vim.api.nvim_buf_get_lines(0, 1, 2, false)[1]))
vim.cmd("qa!")
