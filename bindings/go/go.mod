module colonio.example/colonio

go 1.19
